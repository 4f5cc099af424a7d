"""Create a domain app that follows this project's conventions and passes its checks as created.

The files come from ``apps/devtools/scaffold``: ``app/`` for every project, ``api/``
only in projects that have the REST API. Nothing is overwritten, and a failure
part way leaves the project as it was: the app is written into a temporary
directory beside its final place and moved there last, and the settings (and
API URL) edits are undone if anything after them fails.
"""

import hashlib
import importlib.util
import io
import keyword
import os
import re
import shutil
import sys
import tempfile
import tokenize
from pathlib import Path
from string import Template
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

SCAFFOLD_DIR = Path(__file__).resolve().parents[2] / "scaffold"
APP_SCAFFOLD = SCAFFOLD_DIR / "app"
API_SCAFFOLD = SCAFFOLD_DIR / "api"
TEMPLATE_SUFFIX = ".py-tpl"
SETTINGS_FILE = Path("config", "settings", "base.py")
API_URLS_FILE = Path("config", "api_v1.py")
LINE_LENGTH = 119
# Django refuses longer index names (models.E034).
MAX_INDEX_NAME = 30
LIST_INDEX_SUFFIX = "recent_idx"

# Names the project itself uses for packages, folders and test discovery.
RESERVED_NAMES = frozenset(
    {"apps", "config", "core", "users", "test", "tests", "scaffold", "migrations", "management", "templates", "static"}
)

MSG_NOT_IDENTIFIER = (
    "'{name}' is not a lowercase Python identifier: use lowercase letters, digits and underscores, "
    "starting with a letter."
)
MSG_KEYWORD = "'{name}' is a Python keyword."
MSG_APP_EXISTS = "apps/{name} already exists."
MSG_ALREADY_REGISTERED = "'apps.{name}' is already in LOCAL_APPS in config/settings/base.py."
MSG_RESERVED = "'{name}' is a name the project already uses for its own packages, folders or tests."
MSG_SHADOWS_APP_LABEL = "'{name}' is already the label of the installed app {app}."
MSG_SHADOWS_STDLIB = "'{name}' would shadow the standard library module {name}."
MSG_SHADOWS_INSTALLED = "'{name}' would shadow the installed module {name}."
MSG_BAD_MODEL = "'{model}' is not a CamelCase model name such as Invoice."
MSG_MODEL_CLASHES = "The model name {model} clashes with a name the generated code uses; choose another with --model."
MSG_TOO_LONG = (
    "With the model name {model} the generated code has lines over {limit} characters; "
    "choose a shorter name or --model."
)
MSG_NO_LOCAL_APPS = "config/settings/base.py has no multi-line LOCAL_APPS = [...] list to add the app to."
MSG_NO_URLPATTERNS = "config/api_v1.py has no multi-line urlpatterns = [...] list to add the app's URLs to."

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
MODEL_PATTERN = re.compile(r"[A-Z][A-Za-z0-9]*")


def singular(word: str) -> str:
    """English plural to singular for the common cases; --model covers the rest."""
    if word.endswith("ies") and len(word) > 3:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes", "uses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 1:
        return word[:-1]
    return word


def model_name_for(app: str) -> str:
    """``invoices`` -> ``Invoice``, ``line_items`` -> ``LineItem``."""
    *head, last = [part for part in app.split("_") if part]
    return "".join(part.capitalize() for part in [*head, singular(last)])


def snake_case(model: str) -> str:
    """``LineItem`` -> ``line_item``, ``HTTPLog`` -> ``http_log``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", model).lower()


def list_index_name(app: str) -> str:
    """``invoices_recent_idx``; a long app name is cut and given a hash of itself, to stay unique."""
    name = f"{app}_{LIST_INDEX_SUFFIX}"
    if len(name) <= MAX_INDEX_NAME:
        return name
    digest = hashlib.sha256(app.encode()).hexdigest()[:6]
    kept = MAX_INDEX_NAME - len(LIST_INDEX_SUFFIX) - len(digest) - 2
    return f"{app[:kept]}_{digest}_{LIST_INDEX_SUFFIX}"


def context_for(app: str, model: str) -> dict[str, str]:
    return {
        "app": app,
        "AppClass": "".join(part.capitalize() for part in app.split("_")),
        "verbose_name": app.replace("_", " ").capitalize(),
        "Model": model,
        "entity": snake_case(model),
        "url": app.replace("_", "-"),
        "list_index": list_index_name(app),
    }


def sort_first_party_imports(source: str) -> str:
    """Keep each run of ``from apps.… import …`` statements in isort order, wherever the app name falls.

    A statement is one line, or a parenthesised import with one name per line up to its ``)``.
    """
    result: list[str] = []
    run: list[list[str]] = []

    def flush() -> None:
        for statement in sorted(run, key=lambda imported: imported[0].split()[1]):
            result.extend(statement)
        run.clear()

    lines = iter(source.splitlines(keepends=True))
    for line in lines:
        if not line.startswith("from apps."):
            flush()
            result.append(line)
            continue
        statement = [line]
        if line.rstrip().endswith("("):
            for continuation in lines:
                statement.append(continuation)
                if continuation.rstrip() == ")":
                    break
        run.append(statement)
    flush()
    return "".join(result)


def render(template: Path, context: dict[str, str]) -> str:
    return sort_first_party_imports(Template(template.read_text()).substitute(context))


def templates(include_api: bool) -> list[tuple[Path, Path]]:
    """(template, path inside the new app) for every file to create."""
    roots = [APP_SCAFFOLD, API_SCAFFOLD] if include_api else [APP_SCAFFOLD]
    return sorted(
        (template, template.relative_to(root).with_suffix(".py"))
        for root in roots
        for template in root.rglob(f"*{TEMPLATE_SUFFIX}")
    )


def names_in_code(sources: list[str]) -> set[str]:
    """Every identifier the code uses (not its comments or strings)."""
    names = set()
    for source in sources:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.NAME:
                names.add(token.string)
    return names


def app_name_problem(name: str, root: Path, settings_text: str) -> str | None:
    """Why ``name`` cannot be a new app in the project at ``root``, or None."""
    if not NAME_PATTERN.fullmatch(name):
        return MSG_NOT_IDENTIFIER.format(name=name)
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return MSG_KEYWORD.format(name=name)
    if (root / "apps" / name).exists():
        return MSG_APP_EXISTS.format(name=name)
    if re.search(rf"""^\s*["']apps\.{name}["'],?\s*$""", settings_text, flags=re.MULTILINE):
        return MSG_ALREADY_REGISTERED.format(name=name)
    if name in RESERVED_NAMES or name in {path.stem for path in root.iterdir()}:
        return MSG_RESERVED.format(name=name)
    labels = {config.label: config.name for config in django_apps.get_app_configs()}
    if name in labels:
        return MSG_SHADOWS_APP_LABEL.format(name=name, app=labels[name])
    if name in sys.stdlib_module_names:
        return MSG_SHADOWS_STDLIB.format(name=name)
    if importlib.util.find_spec(name) is not None:
        return MSG_SHADOWS_INSTALLED.format(name=name)
    return None


def model_problem(model: str, include_api: bool) -> str | None:
    if not MODEL_PATTERN.fullmatch(model):
        return MSG_BAD_MODEL.format(model=model)
    # The scaffold's own identifiers, rendered with placeholders nobody would choose.
    probe = {key: f"zz{key}zz" for key in context_for("zz", "Zz")}
    used = names_in_code([Template(path.read_text()).substitute(probe) for path, _ in templates(include_api)])
    entity = snake_case(model)
    if model in used or entity in used or keyword.iskeyword(entity) or keyword.issoftkeyword(entity):
        return MSG_MODEL_CLASHES.format(model=model)
    return None


def with_list_entry(source: str, opening: str, entry: str, after: str | None = None) -> str | None:
    """``source`` with ``entry`` added to the multi-line list that starts at the line ``opening``.

    The entry goes after the last line of the list starting with ``after`` if there is
    one, else at the end of the list; None if there is no such list.
    """
    lines = source.splitlines(keepends=True)
    starts = [index for index, line in enumerate(lines) if line.rstrip() == opening]
    if not starts:
        return None
    start = starts[0]
    end = next((index for index in range(start + 1, len(lines)) if lines[index].rstrip() == "]"), None)
    if end is None:
        return None
    matches = [index for index in range(start + 1, end) if after and lines[index].startswith(after)]
    lines.insert(matches[-1] + 1 if matches else end, entry)
    return "".join(lines)


def settings_with_app(source: str, app: str) -> str | None:
    return with_list_entry(source, "LOCAL_APPS = [", f'    "apps.{app}",\n')


def api_urls_with_app(source: str, app: str) -> str | None:
    entry = f'    path("", include("apps.{app}.urls")),\n'
    return with_list_entry(source, "urlpatterns = [", entry, after='    path("", include("apps.')


def write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        Path(temporary).chmod(path.stat().st_mode & 0o777)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = (
        "Create apps/<name>: a model on the core base models, admin, services, selectors, its initial "
        "migration and tests, registered in LOCAL_APPS. In a project with the REST API it also gets "
        "serializers.py, views.py and urls.py, registered in config/api_v1.py; in a project without "
        "one, no serializers, views or URLs are created and no URLs are registered."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the app's name: a plural, lowercase Python identifier, e.g. invoices")
        parser.add_argument("--model", help="the model's class name (default: the singular of name, e.g. Invoice)")

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(settings.BASE_DIR)
        app: str = options["name"]
        settings_path = root / SETTINGS_FILE
        settings_text = settings_path.read_text()
        problem = app_name_problem(app, root, settings_text)
        if problem:
            raise CommandError(problem)
        api_urls_path = root / API_URLS_FILE
        include_api = API_SCAFFOLD.is_dir() and api_urls_path.is_file()
        model = options["model"] or model_name_for(app)
        problem = model_problem(model, include_api)
        if problem:
            raise CommandError(problem)

        context = context_for(app, model)
        files = {target: render(template, context) for template, target in templates(include_api)}
        if any(len(line) > LINE_LENGTH for text in files.values() for line in text.splitlines()):
            raise CommandError(MSG_TOO_LONG.format(model=model, limit=LINE_LENGTH))
        new_settings = settings_with_app(settings_text, app)
        if new_settings is None:
            raise CommandError(MSG_NO_LOCAL_APPS)
        edits = {settings_path: new_settings}
        if include_api:
            new_api_urls = api_urls_with_app(api_urls_path.read_text(), app)
            if new_api_urls is None:
                raise CommandError(MSG_NO_URLPATTERNS)
            edits[api_urls_path] = new_api_urls

        self.create(root / "apps" / app, files, edits)
        self.report(app, model, sorted(files), include_api)

    def create(self, target: Path, files: dict[Path, str], edits: dict[Path, str]) -> None:
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
        originals: dict[Path, str] = {}
        try:
            for relative, text in files.items():
                (staging / relative).parent.mkdir(parents=True, exist_ok=True)
                (staging / relative).write_text(text)
            for path, text in edits.items():
                originals[path] = path.read_text()
                write_atomically(path, text)
            if target.exists():  # appeared while this command ran
                raise CommandError(MSG_APP_EXISTS.format(name=target.name))
            staging.rename(target)
        except BaseException:
            for path, text in originals.items():
                write_atomically(path, text)
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def report(self, app: str, model: str, files: list[Path], include_api: bool) -> None:
        self.stdout.write(self.style.SUCCESS(f"Created apps/{app} with the model {model}:"))
        for relative in files:
            self.stdout.write(f"  apps/{app}/{relative}")
        self.stdout.write(f'Added "apps.{app}" to LOCAL_APPS in {SETTINGS_FILE}.')
        if include_api:
            self.stdout.write(f"Registered its API at {context_for(app, model)['url']}/ in {API_URLS_FILE}.")
        else:
            self.stdout.write("This project has no REST API: no serializers, views or URLs were created.")
        self.stdout.write(f"Next: python manage.py migrate, then python -m pytest apps/{app}")
