"""What `make bench` measures: bake to green, and a served project under load, queried and paged deep.

Each function returns plain figures (dicts of numbers); scripts.bench.report judges them.
"""

from __future__ import annotations

import json
import math
import os
import re
import statistics
import time
import urllib.parse
import venv
from dataclasses import asdict
from pathlib import Path
from typing import Any

from scripts.bench.floor import install_floor, same_answer, twin_path
from tests.harness.answers import PRESETS
from tests.harness.load import LoadResult, run_load
from tests.harness.process import run
from tests.harness.served import PASSWORD, PROXY_HEADERS, LoadTarget, ServedProject
from tests.harness.template import bake

CONNECTIONS = 16
# Each endpoint and its floor twin are measured in turn, this many times over.
ROUNDS = 5
QUERY_ROWS = (10, 1000)
# 10,000 rows deep and one full default page (25) beyond: the deep page is a whole page.
DEEP_ROWS = 10_000
SEEDED_ORDERS = DEEP_ROWS + 25
HOP_PAGE_SIZE = 100
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
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


def measure_load(served: ServedProject, target: LoadTarget, path: str, duration: float) -> dict[str, Any]:
    """One wrk run against ``path`` with ``target``'s method, headers and bodies, and the CPU it cost."""
    # Per process, so that the workers' shares come from the same readings as the totals.
    before = {group: {pid: cpu_seconds([pid]) for pid in members} for group, members in service_pids(served).items()}
    result = run_load(
        served.port, path, method=target.method, headers=target.headers, bodies=target.bodies, duration=duration
    )
    used = {
        group: {pid: cpu_seconds([pid]) - start for pid, start in starts.items()} for group, starts in before.items()
    }
    return {
        **load_entry(result),
        "cpu_s": {group: round(sum(by_pid.values()), 3) for group, by_pid in used.items()},
        "busiest_worker_share": busiest_worker_share(used["app"]),
    }


def cpu_per_request(run: dict[str, Any]) -> float:
    """Seconds of the gunicorn workers' CPU per request served in one load run."""
    return run["cpu_s"]["app"] / max(run["requests"], 1)


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One endpoint's rounds as one figure: CPU and requests summed, then divided; latencies' medians."""
    requests = sum(run["requests"] for run in runs)
    cpu_ms = {
        group: round(sum(run["cpu_s"][group] for run in runs) / max(requests, 1) * 1000, 3)
        for group in runs[0]["cpu_s"]
    }
    return {
        "requests": requests,
        "errors": sum(run["errors"] for run in runs),
        "rps": round(statistics.median(run["rps"] for run in runs), 1),
        "p50_ms": round(statistics.median(run["p50_ms"] for run in runs), 2),
        "p99_ms": round(statistics.median(run["p99_ms"] for run in runs), 2),
        "cpu_ms_per_request": cpu_ms,
        "busiest_worker_share": round(max(run["busiest_worker_share"] for run in runs), 2),
        "rounds": runs,
    }


def check_twins(served: ServedProject, targets: dict[str, LoadTarget]) -> dict[str, str]:
    """Each floor twin's path, once it has answered as its endpoint does for the same request."""
    twins = {}
    for name, target in targets.items():
        twin = twin_path(name, target.path)
        answers = [
            served.request(target.method, path, headers=target.headers, body=target.body)
            for path in (target.path, twin)
        ]
        problem = same_answer(target.method, *((answer.status, answer.body) for answer in answers))
        if problem is not None:
            raise AssertionError(f"{name}: the floor twin {twin} does not answer as {target.path}: {problem}")
        twins[name] = twin
    return twins


def bench_served(workdir: Path, postgres_url: str, duration: float, rounds: int = ROUNDS) -> dict[str, Any]:
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
        customise=install_floor,
    )
    log(f"serving a baked project: migrate, collectstatic, seed {SEEDED_ORDERS:,} orders for each of two users")
    with served:
        # Statistics as autovacuum would leave them after the seed, before it gets round to it mid-run.
        served.runner.shell("from django.db import connection\nconnection.cursor().execute('ANALYZE')")
        token = served.token()
        auth = {**PROXY_HEADERS, "Authorization": f"Bearer {token}"}
        targets = served.load_targets(token)
        twins = check_twins(served, targets)
        log(f"every floor twin answers as its endpoint: {', '.join(twins.values())}")
        runs: dict[str, dict[str, list[dict[str, Any]]]] = {name: {"ours": [], "floor": []} for name in targets}
        for round_ in range(rounds):
            for name, target in targets.items():
                # Alternate who goes first, so that neither always follows the same neighbour.
                sides = ("ours", "floor") if round_ % 2 == 0 else ("floor", "ours")
                for side in sides:
                    path = target.path if side == "ours" else twins[name]
                    run = measure_load(served, target, path, duration)
                    runs[name][side].append(run)
                    app_ms = cpu_per_request(run) * 1000
                    log(
                        f"round {round_ + 1}/{rounds} {name} {side}: {run['rps']:.0f} req/s, p50 {run['p50_ms']} ms,"
                        f" app CPU {app_ms:.2f} ms/request, errors {run['errors']}"
                    )
        load: dict[str, Any] = {}
        for name, target in targets.items():
            ours, floor = combine(runs[name]["ours"]), combine(runs[name]["floor"])
            ratio = round(ours["cpu_ms_per_request"]["app"] / floor["cpu_ms_per_request"]["app"], 2)
            load[name] = {"method": target.method, "path": target.path, "twin": twins[name], "ours": ours}
            load[name].update(floor=floor, ratio=ratio)
            log(f"{name}: {ours['cpu_ms_per_request']} against the floor's {floor['cpu_ms_per_request']}: {ratio}")
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
