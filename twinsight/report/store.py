"""What `store info` and `store check` say about a store, as rich markup lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape

if TYPE_CHECKING:
    from twinsight.store import StoreCheck, StoreInfo

__all__ = ["store_check_lines", "store_info_lines"]


def store_info_lines(info: StoreInfo) -> list[str]:
    """Rich markup: counts per source, target, endpoint and counter, and what went missing."""
    lines = [
        f"[bold]{info.exchanges}[/] exchanges, {info.size_bytes / 1e6:.1f} MB, "
        f"from {info.first or '-'} to {info.last or '-'}"
    ]
    lines += _counts("by source", info.by_source)
    for target, outcomes in info.by_target.items():
        lines += _counts(f"target {target}", outcomes)
    lines += _counts("by endpoint", info.by_endpoint)
    lines += _counts("capture counters", info.counters)
    if info.unanswered:
        lines.append(
            f"[yellow]{info.unanswered} exchange(s) without any answer[/]: nothing to compare"
        )
    if info.capturing:
        lines.append(
            "[yellow]a capture or replay is writing into this store now[/]: its counts are as of "
            "its last flush"
        )
    if info.lost:
        lost = "lost or not flushed yet" if info.capturing else "lost"
        lines.append(
            f"[red]{lost} {info.lost}[/]: captured, then neither stored nor counted as dropped"
        )
    for writer in info.unclean:
        lines.append(
            f"[yellow]no clean shutdown recorded[/] for writer {escape(writer.writer)} "
            f"(killed, crashed or still running): last flush {writer.last_flush}, "
            f"{writer.lost} captured exchange(s) not stored by then"
        )
    return lines


def store_check_lines(report: StoreCheck) -> list[str]:
    """Rich markup: what was repaired, each problem left, or that the store is sound."""
    lines = [f"[green]repaired[/] {escape(note)}" for note in report.repaired]
    lines += [f"[yellow]found[/] {escape(problem)}" for problem in report.problems]
    if not report.problems:
        lines.append(
            f"[green]ok[/] {escape(report.where)}: one row per key, every answer has its exchange"
        )
    return lines


def _counts(title: str, counts: dict[str, int]) -> list[str]:
    if not counts:
        return []
    return [f"{title}: " + ", ".join(f"{escape(k)} {v}" for k, v in counts.items())]
