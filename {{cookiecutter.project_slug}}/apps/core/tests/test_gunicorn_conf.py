import importlib
import os
import sys
import tempfile
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from types import ModuleType

import pytest
from gunicorn.config import Config

from config.gunicorn_conf import prepare_metrics_dir, usable_cpus

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


def gunicorn_conf(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> ModuleType:
    for name in ("DJANGO_TRUSTED_PROXIES", "GUNICORN_FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # The module reads the environment at import: import it afresh.
    monkeypatch.delitem(sys.modules, "config.gunicorn_conf", raising=False)
    return importlib.import_module("config.gunicorn_conf")


def trusted_by_gunicorn(forwarded_allow_ips: str) -> list[IPv4Network | IPv6Network]:
    config = Config()
    config.set("forwarded_allow_ips", forwarded_allow_ips)  # gunicorn's own validation
    return [ip_network(address) for address in config.forwarded_allow_ips]


def test_gunicorn_trusts_the_proxies_django_trusts(monkeypatch: pytest.MonkeyPatch, settings) -> None:
    default = gunicorn_conf(monkeypatch, {}).forwarded_allow_ips
    named = gunicorn_conf(monkeypatch, {"DJANGO_TRUSTED_PROXIES": "10.0.0.0/24, 192.0.2.7"}).forwarded_allow_ips

    # The test settings hold base.py's default, the one production falls back to.
    assert trusted_by_gunicorn(default) == settings.TRUSTED_PROXIES
    assert trusted_by_gunicorn(named) == [ip_network("10.0.0.0/24"), ip_network("192.0.2.7/32")]


def test_gunicorn_refuses_its_own_list_of_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RuntimeError, match="GUNICORN_FORWARDED_ALLOW_IPS is no longer read: set DJANGO_TRUSTED"):
        gunicorn_conf(monkeypatch, {"GUNICORN_FORWARDED_ALLOW_IPS": "10.0.0.2"})


def test_a_metrics_directory_is_made_when_none_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    environ: dict[str, str] = {}

    directory = prepare_metrics_dir(environ)

    assert environ["PROMETHEUS_MULTIPROC_DIR"] == str(directory)
    assert directory.is_dir()
    assert directory.parent == tmp_path


def test_the_named_metrics_directory_loses_a_former_runs_figures(tmp_path: Path) -> None:
    (tmp_path / "counter_4242.db").write_bytes(b"old counts")
    (tmp_path / "histogram_4243.db").write_bytes(b"old counts")
    (tmp_path / "notes.txt").write_text("not ours")

    prepare_metrics_dir({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})

    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]


def test_importing_the_config_leaves_the_process_single(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only gunicorn, loading the file as its config, sets up the directory.
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)

    gunicorn_conf(monkeypatch, {})

    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
