"""One baked project as several replicas: gunicorn processes behind HAProxy, and Celery workers.

What the scale-out test (tests/verify/test_scale_out.py) runs: each `Replica` is a
gunicorn master of its own on a port of its own, as a container or a pod would be;
`HAProxy` is Debian's haproxy in front of them with health checks on `/readyz`;
`Worker` is a Celery worker process. Every one of them can be stopped as production
stops it (SIGTERM, then a wait) and is killed outright by `kill()`, which cleanup calls
whatever happened.
"""

from __future__ import annotations

import csv
import http.client
import io
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.live import ProjectRunner, free_port, kill_tree, wait_until
from tests.harness.served import PROXY_HEADERS, request

GUNICORN = ["-m", "gunicorn", "config.wsgi:application", "-c", "config/gunicorn_conf.py"]
# How long gunicorn may take to finish its requests after SIGTERM (graceful_timeout in
# the generated config/gunicorn_conf.py), and a margin for a busy machine.
GRACEFUL_SECONDS = 30 + 10


@dataclass
class Replica:
    """One gunicorn master serving the project on 127.0.0.1:``port``; its workers write to ``log``."""

    name: str
    runner: ProjectRunner
    workdir: Path
    workers: int = 1
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = field(init=False, default=None)
    generation: int = field(init=False, default=0)

    @property
    def log(self) -> Path:
        return self.workdir / f"{self.name}-{self.generation}.log"

    def start(self) -> Replica:
        """A new gunicorn on the same port, returned once `/readyz` answers 200 (database and cache reachable)."""
        return self.launch().wait_ready()

    def launch(self) -> Replica:
        """Start a new gunicorn and return at once: several replicas boot side by side, then `wait_ready()`."""
        self.generation += 1
        # Each server's metrics directory is its own (see gunicorn_conf.prepare_metrics_dir).
        metrics = self.workdir / f"{self.name}-{self.generation}-metrics"
        runner = ProjectRunner(
            self.runner.project, self.runner.python, {**self.runner.env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
        )
        command = [str(runner.python), *GUNICORN, "-b", f"127.0.0.1:{self.port}", "-w", str(self.workers)]
        self.process = runner.popen(command, self.log)
        return self

    def wait_ready(self) -> Replica:
        wait_until(self.ready, 90, f"replica {self.name} to answer /readyz")
        return self

    def ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(
                f"gunicorn {self.name} exited with {self.process.returncode}:\n{self.log.read_text()[-4000:]}"
            )
        try:
            return request(self.port, "GET", "/readyz", timeout=2).status == 200
        except OSError:
            return False

    def terminate(self) -> int:
        """Stop as an orchestrator does: SIGTERM to the master alone, then wait; gunicorn's exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=GRACEFUL_SECONDS)
        finally:
            self.kill()

    def kill(self) -> None:
        if self.process is not None:
            kill_tree(self.process)
            self.process = None


@dataclass
class Worker:
    """One Celery worker process with one pool process, named ``name`` in its logs."""

    name: str
    runner: ProjectRunner
    workdir: Path
    queues: str = "critical,default"
    process: subprocess.Popen | None = field(init=False, default=None)

    @property
    def log(self) -> Path:
        return self.workdir / f"worker-{self.name}.log"

    def start(self) -> Worker:
        return self.launch().wait_ready()

    def launch(self) -> Worker:
        env = {
            **self.runner.env,
            # A worker process keeps no connection pool (config/settings/production.py says why).
            "DJANGO_DB_POOL": "false",
            "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / f"worker-{self.name}-metrics"),
        }
        runner = ProjectRunner(self.runner.project, self.runner.python, env)
        command = [
            str(runner.python), "-m", "celery", "-A", "config", "worker", "-n", f"{self.name}@%h",
            "-Q", self.queues, "--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        self.process = runner.popen(command, self.log)
        return self

    def wait_ready(self) -> Worker:
        assert self.process is not None
        wait_until(
            lambda: "ready." in self.log.read_text() or self.process.poll() is not None, 90, f"worker {self.name}"
        )
        assert self.process.poll() is None, self.log.read_text()[-4000:]
        return self

    def kill(self) -> None:
        if self.process is not None:
            kill_tree(self.process)
            self.process = None


# --- HAProxy --------------------------------------------------------------------------------

# Health checks every half second, down after two failures and up after two successes:
# a replica that stops is out of rotation within about a second, and until then a
# request that finds its port closed, or its connection closed unanswered, is retried
# on the other replica (`retry-on`, `option redispatch`). Only GET and HEAD are retried
# once sent: a POST may have been acted on before the connection dropped.
HAPROXY_CONFIG = """\
global
    maxconn 1024
    log stdout format raw local0

defaults
    mode http
    log global
    option httplog
    option dontlog-normal
    timeout connect 2s
    timeout client 30s
    # Longer than gunicorn's request timeout (35 s): gunicorn ends a runaway request, not the proxy.
    timeout server 40s
    timeout http-keep-alive 5s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout

frontend web
    bind 127.0.0.1:{port}
    option forwardfor
    http-request disable-l7-retry unless METH_GET || METH_HEAD
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host {host}
    http-check expect status 200
    default-server check inter 500ms fastinter 250ms downinter 500ms rise 2 fall 2
{servers}

frontend stats
    bind 127.0.0.1:{stats_port}
    stats enable
    stats uri /stats
    stats refresh 0
"""


def haproxy_config(port: int, stats_port: int, servers: dict[str, int]) -> str:
    lines = "\n".join(f"    server {name} 127.0.0.1:{server_port}" for name, server_port in servers.items())
    return HAPROXY_CONFIG.format(port=port, stats_port=stats_port, host=PROXY_HEADERS["Host"], servers=lines)


@dataclass
class HAProxy:
    """Debian's haproxy on 127.0.0.1:``port`` in front of ``servers`` (name: port), its config in ``workdir``."""

    binary: str
    workdir: Path
    servers: dict[str, int]
    port: int = field(default_factory=free_port)
    stats_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = field(init=False, default=None)

    @property
    def log(self) -> Path:
        return self.workdir / "haproxy.log"

    def start(self) -> HAProxy:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "haproxy.cfg"
        config.write_text(haproxy_config(self.port, self.stats_port, self.servers))
        checked = subprocess.run([self.binary, "-c", "-f", str(config)], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        # -db: in the foreground, logging to stdout, so kill_tree can stop it.
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [self.binary, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_until(lambda: self.servers_up() == set(self.servers), 30, "haproxy to see every replica up")
        return self

    def stats(self) -> dict[str, dict[str, str]]:
        """HAProxy's counters by "proxy/server" ("web/FRONTEND", "replicas/a", "replicas/BACKEND", ...)."""
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"haproxy exited with {self.process.returncode}:\n{self.log.read_text()[-4000:]}")
        connection = http.client.HTTPConnection("127.0.0.1", self.stats_port, timeout=5)
        try:
            connection.request("GET", "/stats;csv")
            text = connection.getresponse().read().decode()
        finally:
            connection.close()
        rows = csv.DictReader(io.StringIO(text.lstrip("# ")))
        return {f"{row['pxname']}/{row['svname']}": row for row in rows}

    def servers_up(self) -> set[str]:
        try:
            stats = self.stats()
        except OSError:
            return set()
        return {name for name in self.servers if stats.get(f"replicas/{name}", {}).get("status") == "UP"}

    def kill(self) -> None:
        if self.process is not None:
            kill_tree(self.process)
            self.process = None
