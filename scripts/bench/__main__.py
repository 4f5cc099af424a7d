"""`make bench`: what a baked project costs, measured against fixed targets.

1. Time from bake to a green generated suite: bake, fresh venv + pip install, pytest.
2. A served project (tests/harness/served.py: gunicorn, production settings, PostgreSQL,
   Redis) under wrk load (tests/harness/load.py), one endpoint at a time, with the CPU time
   each request costs in gunicorn, PostgreSQL and Redis (from /proc): the figure
   that bounds throughput, and with it latency at a fixed concurrency.
3. Database queries per request at 10 and at 1,000 orders, counted in-process.
4. Cursor pagination: the first page against a page 10,000 rows deep.
5. Resident memory of each gunicorn worker after the load.

Prints a table with each figure, its target and PASS/FAIL, and writes
bench-results/results.json and bench-results/results.png. Exits 0 whenever the
benchmark ran, targets met or not; non-zero only when it could not run.

Run from the repository root as `python -m scripts.bench`, with the template's .venv
and TEST_DATABASE_URL set (`make bench` does both).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import sys
import tempfile
import time
import traceback
import urllib.parse
import venv
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tests.harness.answers import PRESETS
from tests.harness.load import LoadResult, run_load
from tests.harness.process import run
from tests.harness.served import PASSWORD, PROXY_HEADERS, ServedProject
from tests.harness.template import bake

ROOT = Path(__file__).resolve().parents[2]

P99_TARGET_MS = 100.0
DEEP_RATIO_TARGET = 1.5
RSS_TARGET_MB = 150.0
CONNECTIONS = 16
QUERY_ROWS = (10, 1000)
# 10,000 rows deep and one full default page (25) beyond: the deep page is a whole page.
DEEP_ROWS = 10_000
SEEDED_ORDERS = DEEP_ROWS + 25
HOP_PAGE_SIZE = 100
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

MSG_NO_DATABASE = 'TEST_DATABASE_URL is not set: run `eval "$(bash scripts/services.sh)"` first, or use `make bench`'
MSG_NO_WRK = "wrk is not installed: apt-get install -y wrk"
MSG_NO_REDIS = "redis-server is not installed: apt-get install -y redis-server"
RESULT_MARKER = "BENCH-QUERIES "
# Runs inside the served project: two more customers, with 10 and 1,000 orders.
QUERY_SCRIPT = Path(__file__).resolve().parent / "query_counts.py"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def cpu_reference_ms() -> float:
    """Milliseconds this process takes to sum a million integers, the best of five tries.

    The machines here are shared: the same project has measured twice as fast one hour
    as the next. This number moves with them, so two runs' latencies are compared
    after checking that it did not.
    """
    best = math.inf
    for _ in range(5):
        started = time.perf_counter()
        sum(range(1_000_000))
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


# --- 1. bake to green --------------------------------------------------------------------


def time_suite(workdir: Path) -> dict[str, Any]:
    started = time.monotonic()
    project = bake(workdir, {**PRESETS["full"], "project_slug": "bench_suite"})
    baked = time.monotonic()
    log(f"baked in {baked - started:.1f} s; creating a venv and installing requirements/local.txt")
    venv.create(project / ".venv", with_pip=True)
    python = project / ".venv" / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run([*pip, "-r", "requirements/local.txt"], cwd=project, timeout=1200)
    installed = time.monotonic()
    log(f"installed in {installed - baked:.1f} s; running the generated suite")
    result = run([str(python), "-m", "pytest", "-q"], cwd=project, timeout=1200, check=False)
    tested = time.monotonic()
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    own = re.search(r"in ([\d.]+)s", summary)
    passed = re.search(r"(\d+) passed", summary)
    return {
        "bake_s": round(baked - started, 1),
        "install_s": round(installed - baked, 1),
        "tests_s": round(tested - installed, 1),
        "total_s": round(tested - started, 1),
        "suite_own_s": float(own.group(1)) if own else None,
        "passed": int(passed.group(1)) if passed else 0,
        "green": result.returncode == 0,
        "summary": summary,
    }


# --- 2-5. the served project ----------------------------------------------------------------


def path_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def without_query(path: str, name: str) -> str:
    parts = urllib.parse.urlsplit(path)
    query = [(key, value) for key, value in urllib.parse.parse_qsl(parts.query) if key != name]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def deep_page_path(served: ServedProject, token: str) -> tuple[str, int]:
    """Follow `next` links, as a client would, to the page that starts DEEP_ROWS rows in."""
    path = f"/api/v1/orders/?page_size={HOP_PAGE_SIZE}"
    for _ in range(DEEP_ROWS // HOP_PAGE_SIZE):
        answer = served.request("GET", path, token=token)
        assert answer.status == 200, (path, answer.status, answer.body[:500])
        path = path_of(answer.json()["next"])
    # Same cursor, default page size: the page compared with the first one.
    path = without_query(path, "page_size")
    rows = len(served.request("GET", path, token=token).json()["results"])
    return path, rows


def load_entry(result: LoadResult) -> dict[str, Any]:
    return {**asdict(result), "errors": result.errors}


def vm_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far; ones that exited count nothing."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLOCK_TICKS


def busiest_worker_share(cpu_by_worker: dict[int, float]) -> float:
    """The busiest gunicorn worker's share of the workers' CPU over a load run (1 / workers when even).

    A gthread worker accepts whatever connection it sees first and keeps it while it is
    kept alive, so wrk's 16 connections can all land on one worker: that run is served
    by one core, at about half the throughput and twice the latency of an even split.
    """
    total = sum(cpu_by_worker.values())
    return round(max(cpu_by_worker.values()) / total, 2) if total else 0.0


def service_pids(served: ServedProject) -> dict[str, list[int]]:
    """The processes that serve a request: gunicorn's workers, PostgreSQL (every process) and Redis."""
    postgres = [
        int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit() and _comm(entry) == "postgres"
    ]
    return {"app": served.worker_pids(), "db": postgres, "redis": [served.redis.pid] if served.redis else []}


def _comm(proc: Path) -> str:
    try:
        return (proc / "comm").read_text().strip()
    except OSError:
        return ""


def bench_served(workdir: Path, postgres_url: str, duration: float) -> dict[str, Any]:
    served = ServedProject(
        workdir,
        answers=PRESETS["full"],
        orders_per_user=SEEDED_ORDERS,
        workers=2,
        postgres_url=postgres_url,
        # Over 20,000 requests in a minute would recycle each worker about once, at a moment
        # that differs between runs and lands on whichever endpoint is being measured. The
        # cost of a recycle is measured on its own (docs/departures.md, gunicorn recycling).
        extra_env={"GUNICORN_MAX_REQUESTS": "0"},
    )
    log(f"serving a baked project: migrate, collectstatic, seed {SEEDED_ORDERS:,} orders for each of two users")
    with served:
        # Statistics as autovacuum would leave them after the seed, before it gets round to it mid-run.
        served.runner.shell("from django.db import connection\nconnection.cursor().execute('ANALYZE')")
        token = served.token()
        auth = {**PROXY_HEADERS, "Authorization": f"Bearer {token}"}
        load: dict[str, Any] = {}
        for name, target in served.load_targets(token).items():
            method, path, headers = target.method, target.path, target.headers
            # One request first: a wrong path or a broken endpoint shows its status and body.
            probe = served.request(method, path, headers=headers, body=target.body)
            log(f"load {name}: {method} {path} (probe {probe.status}) for {duration:g} s at {CONNECTIONS} connections")
            # Per process, so that the workers' shares come from the same readings as the totals.
            before = {
                group: {pid: cpu_seconds([pid]) for pid in members} for group, members in service_pids(served).items()
            }
            result = run_load(
                served.port, path, method=method, headers=headers, bodies=target.bodies, duration=duration
            )
            used = {
                group: {pid: cpu_seconds([pid]) - start for pid, start in starts.items()}
                for group, starts in before.items()
            }
            cpu_ms = {
                group: round(sum(by_pid.values()) / max(result.requests, 1) * 1000, 2)
                for group, by_pid in used.items()
            }
            busiest = busiest_worker_share(used["app"])
            load[name] = {
                **load_entry(result),
                "method": method,
                "path": path,
                "probe_status": probe.status,
                "cpu_ms_per_request": cpu_ms,
                "busiest_worker_share": busiest,
            }
            if probe.status >= 400:
                load[name]["probe_body"] = probe.body[:500].decode(errors="replace")
            log(f"  {result.rps:.0f} req/s, p50 {result.p50_ms} ms, p99 {result.p99_ms} ms, errors {result.errors}")
            log(f"  CPU per request (ms): {cpu_ms}; busiest worker's share of the app CPU: {busiest:.0%}")
        workers = {str(pid): vm_rss_mb(pid) for pid in served.worker_pids()}
        log(f"worker memory after load: {workers}")

        log(f"cursor pagination: following next links {DEEP_ROWS:,} rows deep")
        deep_path, deep_rows = deep_page_path(served, token)
        sample = max(2.0, duration / 2)
        first = run_load(served.port, "/api/v1/orders/", headers=auth, connections=1, threads=1, duration=sample)
        deep = run_load(served.port, deep_path, headers=auth, connections=1, threads=1, duration=sample)
        ratio = round(deep.p50_ms / first.p50_ms, 2) if first.p50_ms else None
        log(f"  first page p50 {first.p50_ms} ms, deep page p50 {deep.p50_ms} ms, ratio {ratio}")
        pagination = {
            "rows_deep": DEEP_ROWS,
            "deep_page_rows": deep_rows,
            "deep_path": deep_path,
            "first": load_entry(first),
            "deep": load_entry(deep),
            "ratio_p50": ratio,
        }

        log("query counts in-process at 10 and 1,000 orders")
        rows = [str(n) for n in QUERY_ROWS]
        output = served.runner.script(QUERY_SCRIPT, RESULT_MARKER, PASSWORD, *rows, timeout=300)
        marked = [line for line in output.splitlines() if line.startswith(RESULT_MARKER)]
        queries = json.loads(marked[-1][len(RESULT_MARKER) :])
    return {"load": load, "worker_rss_mb": workers, "pagination": pagination, "queries": queries}


# --- report ------------------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("PASS" if ok else "FAIL")


def evaluate(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """Rows of (figure, measured, target, ok); ok None for figures without a target."""
    rows: list[tuple[str, str, str, bool | None]] = []
    reference = f"{results['cpu_reference_ms_start']} / {results.get('cpu_reference_ms_end', '-')} ms"
    rows.append(("CPU reference, start / end", reference, "", None))
    suite = results.get("suite")
    if suite:
        rows.append(("bake", f"{suite['bake_s']} s", "", None))
        rows.append(("pip install (fresh venv)", f"{suite['install_s']} s", "", None))
        rows.append(("generated tests (wall)", f"{suite['tests_s']} s", "", None))
        rows.append(("generated suite's own time", f"{suite['suite_own_s']} s", "", None))
        rows.append(("bake to green, total", f"{suite['total_s']} s", "suite green", suite["green"]))
    served = results["served"]
    for name, entry in served["load"].items():
        rows.append((f"{name} req/s", f"{entry['rps']:.0f}", "", None))
        rows.append((f"{name} p50", f"{entry['p50_ms']} ms", "", None))
        rows.append(
            (f"{name} p99", f"{entry['p99_ms']} ms", f"< {P99_TARGET_MS:g} ms", entry["p99_ms"] < P99_TARGET_MS)
        )
        rows.append((f"{name} errors", f"{entry['errors']} of {entry['requests']}", "0", entry["errors"] == 0))
        cpu = entry["cpu_ms_per_request"]
        rows.append((f"{name} CPU/request", f"{cpu['app']} + {cpu['db']} + {cpu['redis']} ms", "", None))
        # With every core busy, throughput cannot pass cores / CPU per request, and by Little's
        # law the mean latency at a fixed number of connections cannot fall below connections / that.
        floor = CONNECTIONS * sum(cpu.values()) / (os.cpu_count() or 1)
        rows.append((f"{name} mean latency floor", f"{floor:.1f} ms", "", None))
        rows.append((f"{name} busiest worker's share", f"{entry['busiest_worker_share']:.0%}", "", None))
    few, many = (served["queries"][str(rows_)] for rows_ in QUERY_ROWS)
    for name in few:
        same = few[name]["queries"] == many[name]["queries"]
        statuses_ok = few[name]["status"] < 400 and many[name]["status"] < 400
        measured = f"{few[name]['queries']} / {many[name]['queries']}"
        rows.append((f"{name} queries @10 / @1000", measured, "equal", same and statuses_ok))
    pagination = served["pagination"]
    ratio = pagination["ratio_p50"]
    rows.append(("first page p50 (1 conn)", f"{pagination['first']['p50_ms']} ms", "", None))
    rows.append((f"page {DEEP_ROWS:,} rows deep p50", f"{pagination['deep']['p50_ms']} ms", "", None))
    rows.append(
        ("deep / first page", f"{ratio}", f"< {DEEP_RATIO_TARGET:g}", ratio is not None and ratio < DEEP_RATIO_TARGET)
    )
    for pid, rss in served["worker_rss_mb"].items():
        rows.append((f"worker {pid} RSS", f"{rss} MB", f"< {RSS_TARGET_MB:g} MB", rss < RSS_TARGET_MB))
    return rows


def print_table(rows: list[tuple[str, str, str, bool | None]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    widths = [max(w, len(h)) for w, h in zip(widths, ("figure", "measured", "target"), strict=True)]
    header = ("figure", "measured", "target", "result")
    print("  ".join(h.ljust(w) for h, w in zip(header, [*widths, 6], strict=True)))
    print("  ".join("-" * w for w in [*widths, 6]))
    for figure, measured, target, ok in rows:
        print(f"{figure.ljust(widths[0])}  {measured.rjust(widths[1])}  {target.ljust(widths[2])}  {verdict(ok)}")


def draw_chart(results: dict[str, Any], path: Path) -> None:
    """p50/p99 per endpoint against the p99 target, and requests per second, as one PNG."""
    from PIL import Image, ImageDraw, ImageFont

    load = results["served"]["load"]
    names = list(load)
    width, height, margin = 1200, 560, 70
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=15)
    small = ImageFont.load_default(size=12)
    title = ImageFont.load_default(size=18)
    colours = {"p50": (76, 114, 176), "p99": (221, 132, 82), "rps": (85, 168, 104), "target": (200, 30, 30)}
    panels = [
        ("Latency at 16 connections (ms)", [("p50", "p50_ms"), ("p99", "p99_ms")], P99_TARGET_MS),
        ("Throughput (requests per second)", [("rps", "rps")], None),
    ]
    panel_width = (width - margin) // 2
    for index, (label, series, target) in enumerate(panels):
        left = margin + index * panel_width
        right, top, bottom = left + panel_width - margin, 80, height - 90
        draw.text((left, 20), label, fill="black", font=title)
        peak = max([load[name][key] for name in names for _, key in series] + [target or 0]) or 1.0
        scale = (bottom - top) / (peak * 1.15)
        draw.line([(left, top), (left, bottom), (right, bottom)], fill="black", width=1)
        for tick in range(5):
            value = peak * 1.15 * tick / 4
            y = bottom - value * scale
            draw.line([(left - 4, y), (left, y)], fill="black")
            draw.text((left - 8, y), f"{value:.0f}", fill="black", font=small, anchor="rm")
        slot = (right - left) / len(names)
        bar = slot * 0.8 / len(series)
        for position, name in enumerate(names):
            x = left + position * slot + slot * 0.1
            for key, field in series:
                value = load[name][field]
                draw.rectangle([x, bottom - value * scale, x + bar - 2, bottom], fill=colours[key])
                text = f"{value:.0f}" if field == "rps" else f"{value:.1f}"
                draw.text((x + bar / 2, bottom - value * scale - 3), text, fill="black", font=small, anchor="mb")
                x += bar
            draw.text((left + (position + 0.5) * slot, bottom + 8), name, fill="black", font=small, anchor="ma")
        if target is not None:
            y = bottom - target * scale
            for start in range(int(left), int(right), 12):
                draw.line([(start, y), (min(start + 6, right), y)], fill=colours["target"], width=2)
            draw.text((right, y - 4), f"p99 target {target:g} ms", fill=colours["target"], font=small, anchor="rb")
        legend_x = left
        for key, _ in series:
            draw.rectangle([legend_x, height - 45, legend_x + 14, height - 31], fill=colours[key])
            draw.text((legend_x + 20, height - 38), key, fill="black", font=font, anchor="lm")
            legend_x += 80
    stamp = f"{results['started']}  load average at start {results['load_average_start']}; figures are noisy"
    draw.text((width - 10, height - 10), stamp, fill=(90, 90, 90), font=small, anchor="rb")
    image.save(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per endpoint (default 10)")
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
        "targets": {"p99_ms": P99_TARGET_MS, "errors": 0, "deep_ratio": DEEP_RATIO_TARGET, "rss_mb": RSS_TARGET_MB},
    }
    began = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        if not args.skip_suite:
            results["suite"] = time_suite(scratch / "suite")
        results["served"] = bench_served(scratch / "served", postgres_url, args.duration)
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
    failed = sum(1 for *_, ok in rows if ok is False)
    print(
        f"\n{failed} target(s) missed; took {results['elapsed_s']} s; load average {results['load_average_start']}"
        f" -> {results['load_average_end']}; results in {args.out}/results.json and results.png"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
