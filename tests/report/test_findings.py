"""What `analyze` prints about clusters: real differences first, endpoints listed, the rest
counted with where to see them."""

from datetime import UTC, datetime

from twinsight.analysis.clusters import Observation, cluster
from twinsight.analysis.diff import Difference
from twinsight.report.analysis import CLUSTERS_SHOWN, cluster_lines, fixed_lines
from twinsight.store import HistoryRow


def test_the_summary_says_how_many_clusters_it_did_not_print_and_where_to_see_them() -> None:
    observations = [
        Observation(f"x{i}", "GET /a", Difference(f"body.f{i}", "missing", 1, None))
        for i in range(CLUSTERS_SHOWN + 4)
    ]
    lines = cluster_lines(cluster(observations, {"GET /a": 100}))
    assert lines[-1] == "4 more cluster(s) not shown: see twinsight report or the clusters table"


def test_a_cause_on_several_endpoints_lists_them_and_noise_comes_last_labelled() -> None:
    header = Difference("headers.server", "changed", "nginx", "caddy")
    stamp = Difference("body.at", "changed", "2026-01-01T10:00:00Z", "2026-01-01T10:00:01Z")
    observations = [
        *(Observation(f"t{i}", "GET /t", stamp, noise="inferred: time") for i in range(40)),
        *(Observation(f"s{e}", f"GET /e{e}", header) for e in range(7)),
    ]
    found = cluster(observations, {f"GET /e{e}": 1 for e in range(8)})
    found[0].status = "new"
    lines = cluster_lines(found)
    assert lines[0].startswith(
        f"- {found[0].fingerprint} \\[new] On 7 of 9 endpoints, headers.server differs"
    )
    assert (
        lines[1]
        == "    on: GET /e0 (1), GET /e1 (1), GET /e2 (1), GET /e3 (1), GET /e4 (1) and 2 more"
    )
    assert lines[-2].startswith(
        f"- {found[1].fingerprint} [dim]inferred noise:[/] On GET /t, body.at differs"
    )


def test_clusters_gone_since_the_previous_run_are_named_with_what_it_said() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    gone = [
        HistoryRow(
            f"c1-00000000a{i}", at, 3, "body.f", "missing", "present -> absent", f"d{i}", None
        )
        for i in range(2)
    ]
    assert fixed_lines([]) == []
    assert fixed_lines(gone, shown=1) == [
        "[green]2 cluster(s) fixed[/] since the previous run: c1-00000000a0, c1-00000000a1",
        "    c1-00000000a0 was: d0",
        "    and 1 more",
    ]


def test_a_re_read_says_the_clusters_were_fixed_by_the_last_run_not_just_now() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    gone = [HistoryRow("c1-00000000a0", at, 3, "body.f", "missing", "p", "d0", None)]
    assert fixed_lines(gone, reread=True)[0] == (
        "[green]1 cluster(s) fixed[/] by the last run (nothing new since that run): c1-00000000a0"
    )
