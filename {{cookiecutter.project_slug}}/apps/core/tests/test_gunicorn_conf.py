import os
from pathlib import Path

from config.gunicorn_conf import usable_cpus

# What the process may use without a quota (macOS has no affinity mask).
HOST_CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def cpu_max(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "cpu.max"
    path.write_text(content)
    return path


def test_a_cpu_quota_caps_the_cpus_counted(tmp_path: Path) -> None:
    assert usable_cpus(cpu_max(tmp_path, "50000 100000\n")) == 1


def test_a_fractional_quota_rounds_up(tmp_path: Path) -> None:
    assert usable_cpus(cpu_max(tmp_path, "150000 100000\n")) == min(HOST_CPUS, 2)


def test_a_quota_above_the_host_counts_the_host(tmp_path: Path) -> None:
    assert usable_cpus(cpu_max(tmp_path, "12800000 100000\n")) == HOST_CPUS


def test_no_quota_counts_the_cpus_the_process_may_use(tmp_path: Path) -> None:
    assert usable_cpus(cpu_max(tmp_path, "max 100000\n")) == HOST_CPUS
    assert usable_cpus(tmp_path / "absent") == HOST_CPUS
