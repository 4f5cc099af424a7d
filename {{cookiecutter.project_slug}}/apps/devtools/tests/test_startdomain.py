"""startdomain against a throw-away copy of the project: settings.BASE_DIR points at tmp_path.

The copy is whole (manage.py, settings and apps), because startdomain runs
``manage.py makemigrations`` in it to write the new app's first migration.
"""

import ast
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from apps.devtools.management.commands import startdomain as sd

APP_FILES = [
    "__init__.py",
    "admin.py",
    "apps.py",
    "migrations/0001_initial.py",
    "migrations/__init__.py",
    "models.py",
    "selectors.py",
    "services.py",
    "tests/__init__.py",
    "tests/factories.py",
    "tests/test_models.py",
    "tests/test_selectors.py",
    "tests/test_services.py",
]


def make_project(root: Path, source: Path) -> Path:
    """A copy of the project at ``source`` in ``root``, without local state (virtualenv, database, caches)."""
    local_state = shutil.ignore_patterns(".*", "__pycache__", "*.sqlite3", "node_modules", "staticfiles", "htmlcov")
    shutil.copytree(source, root, ignore=local_state, dirs_exist_ok=True)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def app_dirs(root: Path) -> list[str]:
    """Everything directly in apps/, hidden staging directories included."""
    return sorted(path.name for path in (root / "apps").iterdir())


def created_files(root: Path, app: str) -> list[str]:
    return sorted(str(path.relative_to(root / "apps" / app)) for path in (root / "apps" / app).rglob("*.py"))


@pytest.fixture
def project(tmp_path: Path, settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project without the API scaffold, as in one baked without the REST API: no serializers, views or URLs."""
    return use_copy(make_project(tmp_path, Path(settings.BASE_DIR)), settings, monkeypatch)


def use_copy(root: Path, settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point startdomain at the copy ``root``, without the API scaffold and with the base scaffold alone.

    What a feature lays over the base scaffold is tested with the feature.
    """
    monkeypatch.setattr(sd, "API_SCAFFOLD", root / "no-api-scaffold")
    settings.BASE_DIR = root
    settings.STARTDOMAIN_SCAFFOLDS = []
    return root


@pytest.fixture(scope="module")
def shared_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy for the tests whose command must be refused: copying the project is most of their time."""
    return make_project(tmp_path_factory.mktemp("refusals"), Path(django_settings.BASE_DIR))


@pytest.fixture
def unchanged_project(shared_copy: Path, settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared copy, as ``project`` sets it up; each test using it checks that it changed nothing."""
    return use_copy(shared_copy, settings, monkeypatch)


@pytest.fixture(scope="module")
def widgets_made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[str], str]:
    """A copy in which startdomain made apps/widgets once: (root, settings before, apps before, output).

    Several tests read the outcome of that one run: each run writes the first migration in a
    process of its own.
    """
    root = make_project(tmp_path_factory.mktemp("widgets"), Path(django_settings.BASE_DIR))
    settings_before = (root / sd.SETTINGS_FILE).read_text()
    apps_before = app_dirs(root)
    with pytest.MonkeyPatch.context() as patch, override_settings(BASE_DIR=root, STARTDOMAIN_SCAFFOLDS=[]):
        patch.setattr(sd, "API_SCAFFOLD", root.parent / "no-api-scaffold")
        output = startdomain("widgets")
    return root, settings_before, apps_before, output


def startdomain(*args: str) -> str:
    out = StringIO()
    call_command("startdomain", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Invoices", sd.MSG_NOT_IDENTIFIER.format(name="Invoices")),
        ("bad-name", sd.MSG_NOT_IDENTIFIER.format(name="bad-name")),
        ("9lives", sd.MSG_NOT_IDENTIFIER.format(name="9lives")),
        ("_private", sd.MSG_NOT_IDENTIFIER.format(name="_private")),
        ("class", sd.MSG_KEYWORD.format(name="class")),
        ("match", sd.MSG_KEYWORD.format(name="match")),
        ("config", sd.MSG_RESERVED.format(name="config")),
        ("core", sd.MSG_APP_EXISTS.format(name="core")),
        ("scaffold", sd.MSG_RESERVED.format(name="scaffold")),
        ("tests", sd.MSG_RESERVED.format(name="tests")),
        ("messages", sd.MSG_SHADOWS_APP_LABEL.format(name="messages", app="django.contrib.messages")),
        ("json", sd.MSG_SHADOWS_STDLIB.format(name="json")),
        ("django", sd.MSG_SHADOWS_INSTALLED.format(name="django")),
        ("pytest", sd.MSG_SHADOWS_INSTALLED.format(name="pytest")),
        ("names", sd.MSG_MODEL_CLASHES.format(model="Name")),
        (
            "customer_notification_preference_overrides",
            sd.MSG_TOO_LONG.format(model="CustomerNotificationPreferenceOverride", limit=sd.LINE_LENGTH),
        ),
    ],
)
def test_bad_names_are_refused_with_one_line_and_change_nothing(
    unchanged_project: Path, name: str, message: str
) -> None:
    before = snapshot(unchanged_project)

    with pytest.raises(CommandError) as excinfo:
        startdomain(name)

    assert str(excinfo.value) == message
    assert "\n" not in message
    assert snapshot(unchanged_project) == before


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("widget", sd.MSG_BAD_MODEL.format(model="widget")),
        ("Wid_get", sd.MSG_BAD_MODEL.format(model="Wid_get")),
        ("Owner", sd.MSG_MODEL_CLASHES.format(model="Owner")),
        ("User", sd.MSG_MODEL_CLASHES.format(model="User")),
        ("Class", sd.MSG_MODEL_CLASHES.format(model="Class")),
    ],
)
def test_bad_model_names_are_refused(unchanged_project: Path, model: str, message: str) -> None:
    before = snapshot(unchanged_project)

    with pytest.raises(CommandError) as excinfo:
        startdomain("widgets", "--model", model)

    assert str(excinfo.value) == message
    assert snapshot(unchanged_project) == before


def test_creates_the_app_and_registers_it_in_local_apps(widgets_made: tuple[Path, str, list[str], str]) -> None:
    project, settings_before, apps_before, output = widgets_made

    assert created_files(project, "widgets") == APP_FILES
    assert app_dirs(project) == sorted([*apps_before, "widgets"])
    settings_after = (project / sd.SETTINGS_FILE).read_text()
    assert settings_after == sd.settings_with_app(settings_before, "widgets")
    assert '    "apps.widgets",\n]\n' in settings_after
    app = project / "apps" / "widgets"
    for path in app.rglob("*.py"):
        ast.parse(path.read_text(), filename=str(path))
    assert "class Widget(UUIDModel, TimeStampedModel, SoftDeleteModel):" in (app / "models.py").read_text()
    assert "def widget_create(*, owner: User, name: str) -> Widget:" in (app / "services.py").read_text()
    assert "def widget_list(*, owner: User) -> QuerySet[Widget]:" in (app / "selectors.py").read_text()
    assert 'name = "apps.widgets"' in (app / "apps.py").read_text()
    assert "no REST API" in output
    assert "  apps/widgets/migrations/0001_initial.py\n" in output
    # The first migration is makemigrations' own, written for the models as created.
    migration = (app / "migrations" / "0001_initial.py").read_text()
    assert migration.startswith("# Generated by Django ")
    assert "migrations.CreateModel(\n            name='Widget'," in migration
    assert "name='widgets_recent_idx'" in migration
    assert "Next: python manage.py migrate, then python -m pytest apps/widgets" in output


def test_model_option_names_the_model_and_its_functions(project: Path) -> None:
    startdomain("people", "--model", "Person")

    app = project / "apps" / "people"
    services = (app / "services.py").read_text()
    assert "class Person(UUIDModel" in (app / "models.py").read_text()
    assert "def person_update(\n    *,\n    person: Person,\n    name: str | None = None,\n) -> Person:" in services
    assert "class PeopleConfig(AppConfig):" in (app / "apps.py").read_text()


def make_the_final_move_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """Moving the new app into place, after the settings edits, fails as a full disk would."""

    def fail(self: Path, target: Path) -> Path:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "rename", fail)


def test_a_second_run_is_refused_and_changes_nothing(
    widgets_made: tuple[Path, str, list[str], str], settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = use_copy(widgets_made[0], settings, monkeypatch)
    before = snapshot(project)

    with pytest.raises(CommandError) as excinfo:
        startdomain("widgets")

    assert str(excinfo.value) == sd.MSG_APP_EXISTS.format(name="widgets")
    assert snapshot(project) == before


def test_an_app_already_in_local_apps_is_refused(
    widgets_made: tuple[Path, str, list[str], str], tmp_path: Path, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = use_copy(make_project(tmp_path, widgets_made[0]), settings, monkeypatch)
    shutil.rmtree(project / "apps" / "widgets")
    before = snapshot(project)

    with pytest.raises(CommandError) as excinfo:
        startdomain("widgets")

    assert str(excinfo.value) == sd.MSG_ALREADY_REGISTERED.format(name="widgets")
    assert snapshot(project) == before


def test_settings_without_a_local_apps_list_are_refused(project: Path) -> None:
    (project / sd.SETTINGS_FILE).write_text('LOCAL_APPS = ["apps.core"]\n')
    before = snapshot(project)

    with pytest.raises(CommandError) as excinfo:
        startdomain("widgets")

    assert str(excinfo.value) == sd.MSG_NO_LOCAL_APPS
    assert snapshot(project) == before


def test_a_failure_after_editing_settings_undoes_everything(project: Path, monkeypatch) -> None:
    before = snapshot(project)
    apps_before = app_dirs(project)

    make_the_final_move_fail(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        startdomain("widgets")

    assert snapshot(project) == before
    assert app_dirs(project) == apps_before


def test_a_failing_makemigrations_undoes_everything(project: Path) -> None:
    # makemigrations runs in its own process and reads these settings, which now fail to load
    # (as a typo in them would): it exits with an error before Django is set up.
    with (project / "config" / "settings" / "test.py").open("a") as settings_file:
        settings_file.write('raise RuntimeError("these settings no longer load")\n')
    before = snapshot(project)
    apps_before = app_dirs(project)

    with pytest.raises(CommandError) as excinfo:
        startdomain("widgets")

    assert str(excinfo.value).startswith(sd.MSG_MAKEMIGRATIONS_FAILED.format(app="widgets", output=""))
    assert "RuntimeError: these settings no longer load" in str(excinfo.value)
    assert snapshot(project) == before
    assert app_dirs(project) == apps_before


@pytest.mark.parametrize(
    ("app", "model"),
    [
        ("invoices", "Invoice"),
        ("line_items", "LineItem"),
        ("categories", "Category"),
        ("addresses", "Address"),
        ("boxes", "Box"),
        ("batches", "Batch"),
        ("statuses", "Status"),
        ("staff", "Staff"),
        ("a2", "A2"),
    ],
)
def test_model_name_is_the_singular_in_camel_case(app: str, model: str) -> None:
    assert sd.model_name_for(app) == model


@pytest.mark.parametrize(
    ("model", "entity"), [("Invoice", "invoice"), ("LineItem", "line_item"), ("HTTPLog", "http_log")]
)
def test_entity_is_the_model_in_snake_case(model: str, entity: str) -> None:
    assert sd.snake_case(model) == entity


@pytest.mark.parametrize(
    ("app", "index"),
    [
        ("invoices", "invoices_recent_idx"),
        ("shipping_addresses", "shipping_addresses_recent_idx"),
    ],
)
def test_list_index_is_named_after_the_app(app: str, index: str) -> None:
    assert sd.list_index_name(app) == index


def test_long_app_names_get_distinct_index_names_within_the_limit() -> None:
    names = {sd.list_index_name(app) for app in ("customer_notification_settings", "customer_notification_channels")}

    assert len(names) == 2
    assert all(len(name) <= sd.MAX_INDEX_NAME for name in names)


def test_first_party_imports_stay_sorted_whatever_the_app_is_called() -> None:
    source = "import uuid\n\nfrom apps.zebras.models import Zebra\nfrom apps.users.models import User\n\nX = 1\n"

    assert sd.sort_first_party_imports(source) == (
        "import uuid\n\nfrom apps.users.models import User\nfrom apps.zebras.models import Zebra\n\nX = 1\n"
    )


def test_a_parenthesised_import_moves_as_one_statement() -> None:
    source = (
        "from apps.zebras.services import (\n    zebra_create,\n    zebra_delete,\n)\n"
        "from apps.users.models import User\n\nX = 1\n"
    )

    assert sd.sort_first_party_imports(source) == (
        "from apps.users.models import User\n"
        "from apps.zebras.services import (\n    zebra_create,\n    zebra_delete,\n)\n\nX = 1\n"
    )


def test_url_include_goes_after_the_last_app_include() -> None:
    source = """urlpatterns = [
    path("", include("apps.users.urls")),
    path("schema/", schema_view),
]
"""

    assert sd.api_urls_with_app(source, "widgets") == source.replace(
        '.urls")),\n', '.urls")),\n    path("", include("apps.widgets.urls")),\n'
    )
    assert sd.api_urls_with_app("urlpatterns = [\n]\n", "widgets") == (
        'urlpatterns = [\n    path("", include("apps.widgets.urls")),\n]\n'
    )
    assert sd.api_urls_with_app("urlpatterns = []\n", "widgets") is None
    assert sd.api_urls_with_app("urlpatterns = [\n", "widgets") is None


def test_an_overlay_replaces_and_adds_files_and_its_migrations_follow_the_first(
    project: Path, tmp_path: Path, settings
) -> None:
    overlay = tmp_path / "overlay"
    (overlay / "app" / "migrations").mkdir(parents=True)
    (overlay / "app" / "selectors.py-tpl").write_text('"""No selectors yet."""\n')
    (overlay / "app" / "extra.py-tpl").write_text("EXTRA = True\n")
    (overlay / "app" / "migrations" / "0002_more.py-tpl").write_text(
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        '    dependencies = [("widgets", "0001_initial")]\n'
        "    operations: list[migrations.operations.base.Operation] = []\n"
    )
    settings.STARTDOMAIN_SCAFFOLDS = [overlay]

    startdomain("widgets")

    app = project / "apps" / "widgets"
    assert (app / "selectors.py").read_text() == '"""No selectors yet."""\n'
    assert (app / "extra.py").read_text() == "EXTRA = True\n"
    assert sorted(path.name for path in (app / "migrations").glob("0*.py")) == ["0001_initial.py", "0002_more.py"]
