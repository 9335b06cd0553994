"""The scenario spec language: models, loading with located errors, CEL checks, dumping.

A leaf package: it imports nothing from twinsight but `twinsight.errors`.
"""

from twinsight.spec.coverage import ScenarioCoverage, SpecCoverage, spec_coverage
from twinsight.spec.dump import dump_spec
from twinsight.spec.expressions import (
    CelSyntaxError,
    CheckResult,
    Evaluation,
    compile_expression,
)
from twinsight.spec.loader import load_spec, parse_spec
from twinsight.spec.markdown import spec_markdown
from twinsight.spec.model import (
    Constraint,
    Input,
    InputConstraints,
    Line,
    Output,
    RequestBinding,
    Scenario,
    Spec,
    When,
)
from twinsight.spec.paths import PathTemplate, PathTemplateError
from twinsight.spec.reads import CheckMemo, Reads, spec_reads
from twinsight.spec.where import Accepted, parse_where

__all__ = [
    "Accepted",
    "CelSyntaxError",
    "CheckMemo",
    "CheckResult",
    "Constraint",
    "Evaluation",
    "Input",
    "InputConstraints",
    "Line",
    "Output",
    "PathTemplate",
    "PathTemplateError",
    "Reads",
    "RequestBinding",
    "Scenario",
    "ScenarioCoverage",
    "Spec",
    "SpecCoverage",
    "When",
    "compile_expression",
    "dump_spec",
    "load_spec",
    "parse_spec",
    "parse_where",
    "spec_coverage",
    "spec_markdown",
    "spec_reads",
]
