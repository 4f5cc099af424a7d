"""The alert rules and dashboards a project ships (deploy/prometheus, deploy/grafana) against its code.

promtool (Debian's prometheus package, installed by .ci/run) checks the rules; every
metric name a rule or a panel queries must be one the project's code registers, and
every metric the code registers must be on a dashboard. A renamed metric fails here,
not on the night its alert should have fired.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.harness.answers import PRESETS
from tests.harness.process import required_tool, run

# A metric name in PromQL: the identifier before a label selector or a range.
SELECTED_METRIC = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{\[]")
# Prometheus's own series about its targets.
PROMETHEUS_SERIES = {"up"}
# The sample names of each metric the project defines, as the scraper sees them.
LIST_METRICS = """
import importlib, os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
django.setup()
from prometheus_client.metrics import MetricWrapperBase
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
for name in ("metrics", "task_metrics"):
    try:
        module = importlib.import_module(f"apps.observability.{name}")
    except ModuleNotFoundError:
        continue
    for value in vars(module).values():
        if isinstance(value, MetricWrapperBase):
            for family in value.describe():
                print(family.name, *(family.name + suffix for suffix in SUFFIXES[family.type]))
"""


@pytest.fixture(params=["full", "minimal"], scope="module")
def project(request, cookies_session) -> Path:
    result = cookies_session.bake(extra_context=PRESETS[request.param])
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


@pytest.fixture(scope="module")
def registered(project: Path, project_python: Path) -> dict[str, set[str]]:
    """{metric family: the names of its samples}, from the bake's own code."""
    lines = run([str(project_python), "-c", LIST_METRICS], cwd=project).stdout.splitlines()
    families = {line.split()[0]: set(line.split()[1:]) for line in lines}
    assert families, "the project registers no metrics"
    return families


def rule_files(project: Path) -> list[Path]:
    return sorted((project / "deploy" / "prometheus").glob("*.yml"))


def dashboards(project: Path) -> list[Path]:
    return sorted((project / "deploy" / "grafana").glob("*.json"))


def dashboard_queries(path: Path) -> list[str]:
    return [target["expr"] for panel in json.loads(path.read_text())["panels"] for target in panel["targets"]]


def rule_queries(path: Path) -> list[str]:
    return [rule["expr"] for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"]]


def queried_metrics(queries: list[str]) -> set[str]:
    return {name for query in queries for name in SELECTED_METRIC.findall(query)}


def test_the_task_files_come_with_the_tasks(project: Path) -> None:
    celery = (project / "config" / "celery.py").exists()

    assert [path.name for path in rule_files(project)] == ["alerts.yml", *(["task-alerts.yml"] if celery else [])]
    assert [path.name for path in dashboards(project)] == ["dashboard.json", *(["tasks.json"] if celery else [])]


def test_promtool_accepts_the_rules(project: Path) -> None:
    promtool = required_tool("promtool", "prometheus")

    result = run([promtool, "check", "rules", *map(str, rule_files(project))], cwd=project)

    assert "SUCCESS" in result.stdout


def test_rules_and_panels_query_only_metrics_the_code_registers(project: Path, registered) -> None:
    known = set().union(*registered.values()) | PROMETHEUS_SERIES
    for path in [*rule_files(project), *dashboards(project)]:
        queries = rule_queries(path) if path.suffix == ".yml" else dashboard_queries(path)
        used = queried_metrics(queries)

        assert queries
        assert used
        assert used <= known, f"{path.name} queries metrics nobody registers: {sorted(used - known)}"


def test_every_metric_the_code_registers_is_on_a_dashboard(project: Path, registered) -> None:
    shown = queried_metrics([query for path in dashboards(project) for query in dashboard_queries(path)])

    unshown = [family for family, samples in registered.items() if not samples & shown]

    assert not unshown, f"registered but on no dashboard: {unshown}"


def test_every_panel_has_a_unique_id_and_a_query(project: Path) -> None:
    for path in dashboards(project):
        panels = json.loads(path.read_text())["panels"]

        assert len({panel["id"] for panel in panels}) == len(panels)
        assert all(panel["targets"] and panel["title"] for panel in panels)
