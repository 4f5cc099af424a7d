"""HTTP load from wrk, in its own process, with counts by status class.

`run_load` drives `wrk` (Debian package `wrk`) against a port on loopback. A Lua
script sets the method, body and headers (the proxy headers, an Authorization
header) and counts every response by status class; its `done()` prints one JSON
line with those counts and wrk's exact latency percentiles, which is what we parse.
"""

from __future__ import annotations

import json
import math
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
RESULT_MARKER = "LOAD-RESULT "
MSG_NO_WRK = "wrk is not installed (Debian: apt-get install -y wrk)"
MSG_NO_RESULT = "wrk printed no result line; exit {code}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"

# Each wrk thread has its own Lua state: counters are per-thread globals, summed in done().
LUA_SCRIPT = """
local spec = {spec}
wrk.method = spec.method
wrk.body = spec.bodies[1]
wrk.headers = spec.headers

-- Several bodies: each request sends the next one, round robin.
if #spec.bodies > 1 then
  local sent = 0
  function request()
    sent = sent + 1
    return wrk.format(nil, nil, nil, spec.bodies[sent % #spec.bodies + 1])
  end
end

local threads = {{}}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  c2, c3, c4, c5, other = 0, 0, 0, 0, 0
end

function response(status, headers, body)
  local class = math.floor(status / 100)
  if class == 2 then c2 = c2 + 1
  elseif class == 3 then c3 = c3 + 1
  elseif class == 4 then c4 = c4 + 1
  elseif class == 5 then c5 = c5 + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local counts = {{["1xx"] = 0, ["2xx"] = 0, ["3xx"] = 0, ["4xx"] = 0, ["5xx"] = 0}}
  for _, thread in ipairs(threads) do
    counts["1xx"] = counts["1xx"] + thread:get("other")
    counts["2xx"] = counts["2xx"] + thread:get("c2")
    counts["3xx"] = counts["3xx"] + thread:get("c3")
    counts["4xx"] = counts["4xx"] + thread:get("c4")
    counts["5xx"] = counts["5xx"] + thread:get("c5")
  end
  local e = summary.errors
  io.write(string.format(
    '{marker}{{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"1xx": %d, "2xx": %d, "3xx": %d, "4xx": %d, "5xx": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    counts["1xx"], counts["2xx"], counts["3xx"], counts["4xx"], counts["5xx"],
    e.connect, e.read, e.write, e.timeout))
end
"""


@dataclass
class LoadResult:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    status_counts: dict[str, int] = field(default_factory=dict)
    max_ms: float = 0.0

    @property
    def errors(self) -> int:
        counts = self.status_counts
        return counts.get("4xx", 0) + counts.get("5xx", 0) + counts.get("socket_errors", 0)


def lua_string(value: str) -> str:
    """A Lua string literal: every byte escaped as decimal, so no quote or newline can break out."""
    return '"' + "".join(f"\\{byte}" for byte in value.encode()) + '"'


def lua_script(method: str, headers: Mapping[str, str], bodies: Sequence[str]) -> str:
    header_table = ", ".join(f"[{lua_string(name)}] = {lua_string(value)}" for name, value in headers.items())
    body_table = ", ".join(lua_string(body) for body in bodies)
    spec = f"{{method = {lua_string(method)}, bodies = {{{body_table}}}, headers = {{{header_table}}}}}"
    return LUA_SCRIPT.format(spec=spec, marker=RESULT_MARKER)


def parse_result(stdout: str) -> dict[str, int] | None:
    for line in stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER) :])
    return None


def run_load(
    port: int,
    path: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    bodies: Sequence[str] = (),
    connections: int = 16,
    duration: float = 10.0,
    threads: int = 2,
) -> LoadResult:
    """Load ``http://127.0.0.1:{port}{path}`` for ``duration`` seconds from ``connections`` connections.

    ``bodies``: none, one, or several sent in turn (to spread writes over many rows).
    """
    load = Load(port, path, method=method, headers=headers, bodies=bodies, connections=connections, threads=threads)
    return load.start(duration).wait()


class Load:
    """One wrk run in the background: `start()` it, do something else, then `wait()` or `stop()` for the result."""

    def __init__(
        self,
        port: int,
        path: str,
        *,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        bodies: Sequence[str] = (),
        connections: int = 16,
        threads: int = 2,
    ) -> None:
        wrk = shutil.which("wrk")
        if wrk is None:
            raise RuntimeError(MSG_NO_WRK)
        self.scratch = tempfile.TemporaryDirectory(prefix="load-")
        script = Path(self.scratch.name) / "load.lua"
        script.write_text(lua_script(method, dict(headers or {}), bodies))
        threads = max(1, min(threads, connections))
        self.args = [
            wrk,
            f"--threads={threads}",
            f"--connections={connections}",
            "--timeout=5s",
            f"--script={script}",
            f"http://127.0.0.1:{port}{path}",
        ]
        self.process: subprocess.Popen[str] | None = None
        self.seconds = 0

    def start(self, duration: float) -> Load:
        # wrk counts whole seconds of run time.
        self.seconds = max(1, math.ceil(duration))
        self.process = subprocess.Popen(
            [*self.args, f"--duration={self.seconds}s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        return self

    def stop(self) -> LoadResult:
        """End the run now: on SIGINT wrk stops sending, and reports what it has done so far."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.wait()

    def wait(self) -> LoadResult:
        assert self.process is not None
        try:
            stdout, stderr = self.process.communicate(timeout=self.seconds + 60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            stdout, stderr = self.process.communicate()
        finally:
            self.scratch.cleanup()
        raw = parse_result(stdout)
        if raw is None:
            raise RuntimeError(MSG_NO_RESULT.format(code=self.process.returncode, stdout=stdout, stderr=stderr))
        counts = {name: int(raw[name]) for name in STATUS_CLASSES}
        # A final status outside 2xx-5xx is a broken server: count it with the server errors.
        counts["5xx"] += int(raw["1xx"])
        counts["socket_errors"] = sum(int(raw[kind]) for kind in ("connect", "read", "write", "timeout"))
        elapsed = raw["duration_us"] / 1_000_000 or 1.0
        return LoadResult(
            requests=int(raw["requests"]),
            rps=round(raw["requests"] / elapsed, 1),
            p50_ms=round(raw["p50_us"] / 1000, 2),
            p99_ms=round(raw["p99_us"] / 1000, 2),
            status_counts=counts,
            max_ms=round(raw["max_us"] / 1000, 2),
        )
