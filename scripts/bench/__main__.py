"""`make bench`: what a baked project costs, measured against the floor of its own stack.

1. Time from bake to a green generated suite: bake, fresh venv + pip install, pytest.
2. A served project (tests/harness/served.py: gunicorn, production settings, PostgreSQL,
   Redis) under wrk load (tests/harness/load.py), one endpoint at a time, each beside its
   floor twin (scripts/bench/floor/: plain views in the same process that answer the same
   bytes with the least work the stack allows) in interleaved rounds. The headline is CPU
   per request of the gunicorn workers (from /proc) over the twin's: a ratio, which holds
   on a shared machine whose speed moves between hours; PostgreSQL's and Redis's CPU,
   throughput, p50 and p99 are reported beside it.
3. Database queries per request at 10 and at 1,000 orders, counted in-process.
4. Cursor pagination: the first page against a page 10,000 rows deep.
5. Resident memory of each gunicorn worker after the load.

Prints the ratio table (endpoint, ours, floor, ratio, target, PASS/FAIL), a table of every other figure, and writes
bench-results/results.json and bench-results/results.png. Exits 0 whenever the
benchmark ran, targets met or not; non-zero only when it could not run.

Run from the repository root as `python -m scripts.bench`, with the template's .venv
and TEST_DATABASE_URL set (`make bench` does both).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from scripts.bench.measure import CONNECTIONS, ROUNDS, bench_served, cpu_reference_ms, load_average, time_suite
from scripts.bench.report import (
    DEEP_RATIO_TARGET,
    RATIO_TARGETS,
    RSS_TARGET_MB,
    draw_chart,
    evaluate,
    print_ratio_table,
    print_table,
    ratio_rows,
    verdict,
)

ROOT = Path(__file__).resolve().parents[2]

MSG_NO_DATABASE = 'TEST_DATABASE_URL is not set: run `eval "$(bash scripts/services.sh)"` first, or use `make bench`'
MSG_NO_WRK = "wrk is not installed: apt-get install -y wrk"
MSG_NO_REDIS = "redis-server is not installed: apt-get install -y redis-server"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=4.0, help="seconds of each load run (default 4)")
    parser.add_argument(
        "--rounds", type=int, default=ROUNDS, help=f"rounds of each endpoint and its floor twin (default {ROUNDS})"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results", help="where results go")
    parser.add_argument("--skip-suite", action="store_true", help="skip the bake-to-green timing")
    args = parser.parse_args(argv)

    postgres_url = os.environ.get("TEST_DATABASE_URL", "")
    for missing, message in ((not postgres_url, MSG_NO_DATABASE), (not shutil.which("wrk"), MSG_NO_WRK)):
        if missing:
            print(f"bench: {message}", file=sys.stderr)
            return 2
    if not shutil.which("redis-server"):
        print(f"bench: {MSG_NO_REDIS}", file=sys.stderr)
        return 2

    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_average_start": load_average(),
        "cpu_reference_ms_start": cpu_reference_ms(),
        "duration_s": args.duration,
        "connections": CONNECTIONS,
        "rounds": args.rounds,
        "targets": {
            "cpu_ratio": RATIO_TARGETS,
            "errors": 0,
            "deep_ratio": DEEP_RATIO_TARGET,
            "rss_mb": RSS_TARGET_MB,
        },
    }
    began = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        if not args.skip_suite:
            results["suite"] = time_suite(scratch / "suite")
        results["served"] = bench_served(scratch / "served", postgres_url, args.duration, max(args.rounds, 1))
    except Exception:
        traceback.print_exc()
        print("bench: the benchmark could not run", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results["load_average_end"] = load_average()
    results["cpu_reference_ms_end"] = cpu_reference_ms()
    results["elapsed_s"] = round(time.monotonic() - began, 1)

    rows = evaluate(results)
    results["verdicts"] = [
        {"figure": figure, "measured": measured, "target": target, "result": verdict(ok)}
        for figure, measured, target, ok in rows
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    draw_chart(results, args.out / "results.png")
    print()
    print_table(rows)
    print(
        f"\nCPU per request of the gunicorn workers, {args.rounds} interleaved rounds of {args.duration:g} s each:\n"
    )
    print_ratio_table(ratio_rows(results))
    failed = sum(1 for *_, ok in rows if ok is False)
    print(
        f"\n{failed} target(s) missed; took {results['elapsed_s']} s; load average {results['load_average_start']}"
        f" -> {results['load_average_end']}; results in {args.out}/results.json and results.png"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
