"""Stage summaries as plain-text lines for a terminal (escape them before rich prints them)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from twinsight.events import CaptureSummary, ReplaySummary

__all__ = ["Skips", "capture_line", "import_lines", "replay_lines", "skipped_lines"]


class Skips(Protocol):
    """What a reader of recorded traffic counts (the replay package's `Tally` is one)."""

    @property
    def read(self) -> int: ...
    @property
    def skipped(self) -> int: ...
    @property
    def reasons(self) -> Sequence[str]: ...


def capture_line(summary: CaptureSummary) -> str:
    """One line for the terminal when a capture shuts down."""
    c = summary.counts
    dropped = sum(v for k, v in c.items() if k.startswith("dropped."))
    refused = sum(v for k, v in c.items() if k.startswith("refused."))
    return (
        f"twinsight {summary.mode}: served {c.get('served', 0)}, sampled {c.get('sampled', 0)}, "
        f"mirrored {c.get('mirrored', 0)}, stored {c.get('stored', 0)}, dropped {dropped}, "
        f"refused {refused}, mirrors cancelled at shutdown {summary.cancelled}"
    )


def replay_lines(summary: ReplaySummary) -> list[str]:
    """The closing summary of a replay, a few lines for the terminal."""
    head = (
        f"replay {summary.run}: sent {summary.sent} in {summary.duration_s:.1f} s "
        f"({summary.rate:.0f}/s, {summary.pacing}), {summary.sessions} session(s)"
    )
    if summary.stopped:
        head += "; stopped early: run again with --run-id to resume"
    lines = [head]
    for target in sorted({t for t, _ in summary.statuses} | {t for t, _ in summary.errors}):
        lines.append(f"  {target}: {_target_counts(summary, target)}")
    notes = [
        (summary.left_out["already_replayed"], "already replayed in this run"),
        (summary.left_out["filtered_out"], "left out by --filter"),
        (summary.left_out["body_cut"], "not sent: body cut at capture (raise --max-body there)"),
        (summary.rewritten, "with ids rewritten for a target"),
        (
            summary.redacted_headers,
            "sent without a redacted header (name its value in --credentials; "
            "twinsight store credentials lists them)",
        ),
    ]
    lines.extend(f"  {count} {what}" for count, what in notes if count)
    return lines + _degraded_lines(summary) + _order_lines(summary)


def _degraded_lines(summary: ReplaySummary) -> list[str]:
    """How many replayed requests are not what was recorded, and how, by kind."""
    if not summary.degraded:
        return []
    lines = [
        f"  {summary.degraded} degraded (substituted or left out; stored in "
        "exchanges.replay_degraded):"
    ]
    lines += [f"    {n} {note}" for note, n in summary.degraded_notes.most_common()]
    return lines


def _order_lines(summary: ReplaySummary) -> list[str]:
    """The order kept, and which sessions waited for which and why."""
    lines = [
        f"  order: {summary.order}" + (f" ({summary.order_note})" if summary.order_note else "")
    ]
    if summary.waited:
        lines[0] += f"; {summary.waited} request(s) waited for another session's create"
    lines += [f"    {why}" for why in summary.waits]
    if summary.more_waits:
        lines.append(f"    and {summary.more_waits} more session pair(s)")
    return lines


def _target_counts(summary: ReplaySummary, target: str) -> str:
    families = Counter(
        f"{status // 100}xx" for (t, status) in summary.statuses.elements() if t == target
    )
    errors = {kind: n for (t, kind), n in summary.errors.items() if t == target}
    answered = ", ".join(f"{family} {n}" for family, n in sorted(families.items()))
    failed = ", ".join(f"{kind} {n}" for kind, n in sorted(errors.items()))
    return f"answered {summary.answered[target]} ({answered or '-'}), errors {failed or '0'}"


def import_lines(tallies: Mapping[Path, Skips], stored: int, already_stored: int) -> list[str]:
    """Per file read and skipped (with the first reasons), then what was stored."""
    lines = []
    for file, tally in tallies.items():
        lines.append(f"{file}: read {tally.read}, skipped {tally.skipped}")
        lines += [f"   skipped {reason}" for reason in tally.reasons]
    lines.append(f"stored {stored}, already in the store {already_stored}")
    return lines


def skipped_lines(tally: Skips) -> list[str]:
    """Recorded entries a replay could not send, with the first reasons; none: no lines."""
    if not tally.skipped:
        return []
    return [f"recorded entries skipped: {tally.skipped}"] + [
        f"   skipped {reason}" for reason in tally.reasons
    ]
