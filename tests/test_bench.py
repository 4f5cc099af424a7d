"""scripts/bench.py's own arithmetic (the benchmark itself runs with `make bench`, not here)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "scripts" / "bench.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("cpu_by_worker", "share"),
    [
        ({101: 4.0, 102: 4.0}, 0.5),  # an even split between two workers
        ({101: 5.9, 102: 0.1}, 0.98),  # every connection landed on one worker
        ({101: 3.0, 102: 1.0, 103: 0.0, 104: 0.0}, 0.75),
        ({101: 0.0, 102: 0.0}, 0.0),  # no load measured: no share, not a division by zero
    ],
)
def test_busiest_worker_share(bench: ModuleType, cpu_by_worker: dict[int, float], share: float) -> None:
    assert bench.busiest_worker_share(cpu_by_worker) == share
