"""startdomain in a project with the REST API: the app also gets serializers, views and URLs."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.devtools.management.commands import startdomain as sd
from apps.devtools.tests.test_startdomain import (
    APP_FILES,
    app_dirs,
    created_files,
    make_project,
    make_the_final_move_fail,
    snapshot,
)

API_FILES = ["serializers.py", "tests/test_api.py", "urls.py", "views.py"]


@pytest.fixture
def project(tmp_path: Path, settings) -> Path:
    root = make_project(tmp_path, Path(settings.BASE_DIR))
    settings.BASE_DIR = root
    # The base scaffold alone: what a feature lays over it is tested with the feature.
    settings.STARTDOMAIN_SCAFFOLDS = []
    return root


def test_creates_the_api_and_registers_its_urls(project: Path) -> None:
    urls_before = (project / sd.API_URLS_FILE).read_text()
    out = StringIO()

    call_command("startdomain", "line_items", stdout=out)

    assert created_files(project, "line_items") == sorted([*APP_FILES, *API_FILES])
    urls_after = (project / sd.API_URLS_FILE).read_text()
    assert urls_after == sd.api_urls_with_app(urls_before, "line_items")
    assert urls_after.count('include("apps.line_items.urls")') == 1
    views = (project / "apps" / "line_items" / "views.py").read_text()
    assert "class LineItemViewSet(viewsets.GenericViewSet):" in views
    assert "line_item_get(owner=self.owner, line_item_id=pk)" in views
    urls = (project / "apps" / "line_items" / "urls.py").read_text()
    assert 'router.register(\n    "line-items",\n    LineItemViewSet,\n    basename="line_items",\n)' in urls
    assert "Registered its API at line-items/ in config/api_v1.py." in out.getvalue()


def test_url_file_without_a_urlpatterns_list_is_refused(project: Path) -> None:
    (project / sd.API_URLS_FILE).write_text("urlpatterns: list = []\n")
    before = snapshot(project)

    with pytest.raises(CommandError) as excinfo:
        call_command("startdomain", "widgets")

    assert str(excinfo.value) == sd.MSG_NO_URLPATTERNS
    assert snapshot(project) == before


def test_a_failure_after_the_edits_undoes_both(project: Path, monkeypatch) -> None:
    before = snapshot(project)
    apps_before = app_dirs(project)

    make_the_final_move_fail(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        call_command("startdomain", "widgets")

    assert snapshot(project) == before
    assert app_dirs(project) == apps_before
