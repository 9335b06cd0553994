"""`spec show --vars`: each documented example is what the real conversions give."""

import json

import pytest

from tests.cli.run import twinsight
from twinsight.spec import parse_spec
from twinsight.spec.bodies import parse_body
from twinsight.spec.celvars import (
    BINDING_YAML,
    BODY_SAMPLES,
    REQUEST_SAMPLE,
    Sample,
    request_variables,
    vars_text,
)
from twinsight.spec.expressions import Evaluation


@pytest.mark.parametrize("sample", BODY_SAMPLES, ids=lambda s: s.title)
def test_each_documented_body_is_what_the_conversion_gives(sample: Sample) -> None:
    assert parse_body(sample.body, sample.content_type) == sample.shows
    assert f"CEL sees:   {json.dumps(sample.shows, ensure_ascii=False)}" in vars_text()


def test_the_documented_request_is_what_checks_see() -> None:
    assert request_variables(REQUEST_SAMPLE) == REQUEST_SAMPLE.shows
    assert json.dumps(REQUEST_SAMPLE.shows) in vars_text()


def test_the_documented_xml_check_holds() -> None:
    # The note of the XML sample shows a check: it must pass on that sample's body.
    (xml,) = [s for s in BODY_SAMPLES if s.title == "XML"]
    check = xml.note.rsplit(": ", 1)[1]
    evaluation = Evaluation({"response": {"body": parse_body(xml.body, xml.content_type)}})
    assert evaluation.check(check).passed


def test_bindings_and_templates_are_shown_as_they_behave() -> None:
    text = vars_text()
    assert 'GET /tasks/3 headers {"accept": ""}: covered' in text  # presence only
    assert "GET /tasks/3 headers {}: not covered" in text
    assert f"`request: {BINDING_YAML}`" in text
    assert "/v1          matches /v1\n" in text
    assert "/v1{/}       matches /v1, /v1/\n" in text
    # The binding shown is one a spec can hold.
    spec = parse_spec(
        "feature: x\nscenarios:\n  - name: a\n    when:\n      text: w\n"
        f"      request: {BINDING_YAML}\n"
        "    then: t\n"
    )
    assert spec.scenarios[0].when.accepts("GET", "/tasks/3", {}, {"accept": ""}, None)


def test_spec_show_vars_prints_it_and_a_missing_file_is_one_line() -> None:
    shown = twinsight("spec", "show", "--vars")
    assert shown.returncode == 0
    assert shown.stdout == vars_text()
    bare = twinsight("spec", "show")
    assert bare.returncode != 0
    assert bare.stderr.strip() == "error: spec show: give a spec file, or --vars"
