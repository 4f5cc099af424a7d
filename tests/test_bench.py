"""scripts/bench's own arithmetic (the benchmark itself runs with `make bench`, not here)."""

from __future__ import annotations

import os

import pytest

from scripts.bench.measure import busiest_worker_share
from scripts.bench.report import evaluate


@pytest.mark.parametrize(
    ("cpu_by_worker", "share"),
    [
        ({101: 4.0, 102: 4.0}, 0.5),  # an even split between two workers
        ({101: 5.9, 102: 0.1}, 0.98),  # every connection landed on one worker
        ({101: 3.0, 102: 1.0, 103: 0.0, 104: 0.0}, 0.75),
        ({101: 0.0, 102: 0.0}, 0.0),  # no load measured: no share, not a division by zero
    ],
)
def test_busiest_worker_share(cpu_by_worker: dict[int, float], share: float) -> None:
    assert busiest_worker_share(cpu_by_worker) == share


def served_results(p99_ms: float, busiest: float) -> dict:
    """What bench_served returns, for one endpoint, with made-up figures."""
    load = {
        "order_list": {
            "rps": 250.0,
            "p50_ms": 40.0,
            "p99_ms": p99_ms,
            "requests": 2500,
            "errors": 0,
            "cpu_ms_per_request": {"app": 5.0, "db": 0.5, "redis": 0.1},
            "busiest_worker_share": busiest,
        }
    }
    queries = {rows: {"order_list": {"status": 200, "queries": 2}} for rows in ("10", "1000")}
    pagination = {"first": {"p50_ms": 8.0}, "deep": {"p50_ms": 9.0}, "ratio_p50": 1.12}
    return {"load": load, "queries": queries, "pagination": pagination, "worker_rss_mb": {"101": 94.0}}


def test_the_report_gives_each_target_its_verdict_and_the_figures_that_explain_a_miss() -> None:
    results = {"cpu_reference_ms_start": 19.6, "cpu_reference_ms_end": 20.4, "served": served_results(120.0, 0.5)}

    rows = {figure: (measured, ok) for figure, measured, _, ok in evaluate(results)}

    assert rows["CPU reference, start / end"] == ("19.6 / 20.4 ms", None)
    assert rows["order_list p99"] == ("120.0 ms", False)
    assert rows["order_list errors"] == ("0 of 2500", True)
    assert rows["order_list busiest worker's share"] == ("50%", None)
    # 16 connections x 5.6 ms of CPU on this machine's cores: the mean no server setting can beat.
    assert rows["order_list mean latency floor"][0] == f"{16 * 5.6 / os.cpu_count():.1f} ms"
    assert rows["order_list queries @10 / @1000"] == ("2 / 2", True)
    assert rows["deep / first page"] == ("1.12", True)
    assert rows["worker 101 RSS"] == ("94.0 MB", True)


def test_a_p99_under_the_target_passes() -> None:
    results = {"cpu_reference_ms_start": 19.6, "served": served_results(99.9, 1.0)}

    rows = {figure: (measured, ok) for figure, measured, _, ok in evaluate(results)}

    assert rows["order_list p99"] == ("99.9 ms", True)
    assert rows["order_list busiest worker's share"] == ("100%", None)
    assert rows["CPU reference, start / end"] == ("19.6 / - ms", None)
