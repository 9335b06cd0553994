"""A finding printed as numbered steps with both answers, readable in a terminal."""

from twinsight.explore import Finding, Outcome, Step, Verdict, finding_lines
from twinsight.explore.render import readable
from twinsight.records import Body, Response


def test_unprintable_characters_are_escaped_and_runs_counted() -> None:
    assert readable("\x80" * 41 + "ç" * 87 + "ab\u202e") == "(\\u0080 * 41)(ç * 87)ab\\u202e"
    assert readable("Buy groceries 🎯") == "Buy groceries 🎯"


def test_each_step_is_numbered_with_both_answers_and_long_fields_measured() -> None:
    title = "é" * 128
    create = Outcome(
        Step("POST", "/tasks", body={"title": title}, has_body=True),
        Response("legacy", 400, body=Body(b'{"error": "Title too long (max 255)"}')),
        Response("candidate", 201, body=Body(b'{"id": "u1"}')),
        Verdict("explained", "Titles up to 255 characters: created"),
    )
    lost = Outcome(
        Step("GET", "/tasks", "status=pending"),
        Response("legacy", 200, body=Body(b'{\n  "tasks": []\n}')),
        Response("candidate", error="timeout"),
        Verdict("candidate_error", "the candidate gave no answer: timeout"),
    )
    shown = finding_lines(2, Finding("sequence", (create, lost), unshrunk="time ran out"))
    assert shown == [
        "divergence 2: candidate_error in sequence (not shrunk: time ran out): "
        "the candidate gave no answer: timeout",
        '  1. POST /tasks {"title":"(é * 128)"} (title: 128 characters, 256 bytes)',
        '     legacy:    400 {"error": "Title too long (max 255)"}',
        '     candidate: 201 {"id": "u1"}',
        "  2. GET /tasks?status=pending",
        '     legacy:    200 { "tasks": [] }',
        "     candidate: no answer (timeout)",
    ]
