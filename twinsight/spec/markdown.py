"""Render a spec as Markdown for reviewers: behavior in words, bindings beside them."""

from __future__ import annotations

from twinsight.spec.model import Line, Scenario, Spec

__all__ = ["spec_markdown"]


def spec_markdown(spec: Spec) -> str:
    """The whole spec as a Markdown document."""
    parts = [f"# {spec.feature}", ""]
    if spec.description:
        parts += [spec.description, ""]
    for scenario in spec.scenarios:
        parts += _scenario(scenario)
    if spec.constraints:
        parts += ["## Constraints", ""]
        for group, items in spec.constraints.items():
            parts += [f"### {group.replace('_', ' ').capitalize()}", ""]
            for item in items:
                extras = [
                    f"{label}: {value}"
                    for label, value in (
                        ("measurement", item.measurement),
                        ("verification", item.verification),
                        ("exception", item.exception),
                    )
                    if value
                ]
                suffix = f" ({'; '.join(extras)})" if extras else ""
                parts.append(f"- **{item.name}**: {item.requirement}{suffix}")
            parts.append("")
    if spec.accepted:
        parts += ["## Accepted differences", ""]
        parts += [f"- `{rule.where}`: {rule.why}" for rule in spec.accepted]
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def _scenario(scenario: Scenario) -> list[str]:
    parts = [f"## Scenario: {scenario.name}", ""]
    if scenario.description:
        parts += [scenario.description, ""]
    parts += [_line("Given", line) for line in scenario.given]
    when = f"- **When** {scenario.when.text}"
    if scenario.when.bindings:
        when += " — " + " or ".join(f"`{b.method} {b.path}`" for b in scenario.when.bindings)
    if scenario.when.match:
        when += f" where `{scenario.when.match}`"
    parts.append(when)
    parts += [_line("Then", line) for line in scenario.then]
    for item in scenario.inputs:
        optional = ", optional" if item.optional else ""
        parts.append(f"- *Input* `{item.name}` ({item.type}{optional})")
    parts.append("")
    return parts


def _line(keyword: str, line: Line) -> str:
    check = f" — `{line.check}`" if line.check else " — *not machine-checked*"
    return f"- **{keyword}** {line.text}{check}"
