"""gunicorn settings: `gunicorn config.wsgi:application -c config/gunicorn_conf.py`.

The values read from GUNICORN_* variables can be overridden there (gunicorn reads
GUNICORN_CMD_ARGS too); the rest are fixed here on purpose.
"""

import math
import os
import tempfile
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def usable_cpus(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """The CPUs this process may run on, capped by the container's CPU quota (cgroup v2).

    os.cpu_count() counts the host's: a container allowed one CPU on a 32-core node
    would start 64 workers, each holding its own database connections.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        quota, period = cpu_max.read_text().split()
        return max(1, min(cpus, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):  # no cgroup v2 here, or no quota set ("max")
        return cpus


def prepare_metrics_dir(environ: MutableMapping[str, str] = os.environ) -> Path:
    """The directory where every worker writes its Prometheus figures, emptied of a previous run's.

    Read before the application is imported (prometheus_client picks its storage at
    import), so workers forked later all write there and any of them can answer a
    scrape with the sum. Unset, a fresh private directory is made. Files a former
    server left would add its counts to this one's, and it is this server's alone: never
    share it with another process manager.
    """
    if not environ.get("PROMETHEUS_MULTIPROC_DIR"):
        environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gunicorn-metrics-")
    directory = Path(environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    return directory


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: its live gauges stop counting (its counters and histograms stay in the sums)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


# gunicorn loads this file as "__config__", before it imports the application; a test
# importing it must not switch its own process to multiprocess metrics.
if __name__ == "__config__":
    prepare_metrics_dir()

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Threads share a worker's memory; two processes per core plus threads handle
# I/O-bound Django well without the memory of (2 * cores + 1) full processes.
workers = int(os.environ.get("GUNICORN_WORKERS", usable_cpus() * 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Recycle workers now and then so a slow leak cannot grow without bound. Rarely:
# each recycle of a gthread worker stalls the requests queued on it for about a
# second (measured by `make bench` in the template), so at 1000 it ruins the p99.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = 1000
# A request that takes longer is killed: the web tier never waits on a runaway
# view. Keep it above the database statement_timeout (30 s by default).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "35"))
graceful_timeout = 30
keepalive = 5
# Load the application before forking: a broken deploy fails at once, and
# workers share the imported code's memory.
preload_app = True
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# TLS ends at the proxy in front: believe its X-Forwarded-* headers, and only its. The
# proxies are named once, for Django's rate limits and here (config/settings/base.py).
if "GUNICORN_FORWARDED_ALLOW_IPS" in os.environ:
    raise RuntimeError("GUNICORN_FORWARDED_ALLOW_IPS is no longer read: set DJANGO_TRUSTED_PROXIES instead")
forwarded_allow_ips = os.environ.get("DJANGO_TRUSTED_PROXIES", "127.0.0.1/32,::1/128")
