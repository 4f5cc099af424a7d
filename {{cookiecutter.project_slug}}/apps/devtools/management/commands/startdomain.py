"""Create a domain app that follows this project's conventions and passes its checks as created.

Django's own ``startapp --template`` machinery renders the files, from the app
templates in ``apps/devtools/scaffold``: ``app/`` for every project, ``api/``
only in projects that have the REST API (``*.py-tpl`` files in Django template
syntax). Scaffolds named in ``settings.STARTDOMAIN_SCAFFOLDS``, laid out the same
way, are rendered over them: their files replace or add to the base ones, and
their ``app/migrations/`` files are added after the first migration. This
command adds what startapp lacks: a model name (``--model``), registering the app
in LOCAL_APPS and its URLs in the API, the first migration written by
``makemigrations``, and undoing everything when a step fails.

Nothing is overwritten, and a failure part way leaves the project as it was: the
app is rendered into a temporary directory beside its final place and moved there,
and if the move or makemigrations fails the app is removed and the settings (and
API URL) edits are undone.
"""

import hashlib
import importlib.util
import io
import keyword
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tokenize
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.templates import TemplateCommand
from django.template import Context, Engine

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
MSG_MAKEMIGRATIONS_FAILED = "makemigrations {app} failed, so nothing was created:\n{output}"

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
    """The scaffold's template variables: startapp's own two, and the ones this command adds."""
    return {
        "app_name": app,
        # What startapp itself passes as camel_case_app_name.
        "camel_case_app_name": "".join(x for x in app.title() if x != "_"),
        "verbose_name": app.replace("_", " ").capitalize(),
        "model_name": model,
        "entity_name": snake_case(model),
        "url_prefix": app.replace("_", "-"),
        "list_index_name": list_index_name(app),
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


def scaffolds(include_api: bool) -> list[Path]:
    return [APP_SCAFFOLD, API_SCAFFOLD] if include_api else [APP_SCAFFOLD]


def overlays(include_api: bool) -> list[Path]:
    """The scaffolds a project's installed features lay over the base ones, in the same order."""
    roots = [Path(root) for root in getattr(settings, "STARTDOMAIN_SCAFFOLDS", [])]
    parts = ["app", "api"] if include_api else ["app"]
    return [root / part for root in roots for part in parts if (root / part).is_dir()]


def render(template: Path, context: dict[str, str]) -> str:
    """One scaffold file as startapp renders it."""
    return Engine().from_string(template.read_text()).render(Context(context, autoescape=False))


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
    roots = scaffolds(include_api) + overlays(include_api)
    templates = [path for root in roots for path in root.rglob(f"*{TEMPLATE_SUFFIX}")]
    used = names_in_code([render(path, probe) for path in templates])
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


class Command(TemplateCommand):
    help = (
        "Create apps/<name>: a model on the core base models, admin, services, selectors, its initial "
        "migration (by makemigrations) and tests, registered in LOCAL_APPS. In a project with the REST "
        "API it also gets serializers.py, views.py and urls.py, registered in config/api_v1.py; in a "
        "project without one, no serializers, views or URLs are created and no URLs are registered."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
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

        new_settings = settings_with_app(settings_text, app)
        if new_settings is None:
            raise CommandError(MSG_NO_LOCAL_APPS)
        edits = {settings_path: new_settings}
        if include_api:
            new_api_urls = api_urls_with_app(api_urls_path.read_text(), app)
            if new_api_urls is None:
                raise CommandError(MSG_NO_URLPATTERNS)
            edits[api_urls_path] = new_api_urls

        target = root / "apps" / app
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{app}-"))
        try:
            # startapp checks that the directory it fills is named like the app.
            package = staging / app
            package.mkdir()
            context = context_for(app, model)
            for scaffold in scaffolds(include_api):
                self.render_scaffold(scaffold, package, context, options["verbosity"])
            later = self.lay_overlays(staging, package, context, include_api, options["verbosity"])
            self.tidy(package, model)
            self.create(root, package, target, edits, later)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.report(app, model, target, include_api)

    def render_scaffold(self, scaffold: Path, package: Path, context: dict[str, str], verbosity: int) -> None:
        """``startapp <app> <package> --template <scaffold>``, with this command's variables in the context."""
        options = {"template": str(scaffold), "extensions": ["py"], "files": [], "verbosity": verbosity}
        super().handle("app", context["app_name"], str(package), **options, **context)

    def lay_overlays(
        self, staging: Path, package: Path, context: dict[str, str], include_api: bool, verbosity: int
    ) -> dict[Path, Path]:
        """Render each overlay and put its files over the package's; return its migrations, which come later.

        Later means after makemigrations: they depend on the first migration, which does not exist yet.
        """
        later: dict[Path, Path] = {}
        for number, overlay in enumerate(overlays(include_api)):
            rendered = staging / f"overlay-{number}" / context["app_name"]
            rendered.mkdir(parents=True)
            self.render_scaffold(overlay, rendered, context, verbosity)
            for path in sorted(rendered.rglob("*")):
                relative = path.relative_to(rendered)
                if path.is_dir():
                    (package / relative).mkdir(exist_ok=True)
                elif relative.parts[0] == "migrations" and relative.name != "__init__.py":
                    later[relative] = path
                else:
                    path.replace(package / relative)
        return later

    def tidy(self, package: Path, model: str) -> None:
        """Keep the rendered code lint-clean whatever the names: import order, and a refusal over the line limit."""
        for path in package.rglob("*.py"):
            text = path.read_text()
            if any(len(line) > LINE_LENGTH for line in text.splitlines()):
                raise CommandError(MSG_TOO_LONG.format(model=model, limit=LINE_LENGTH))
            path.write_text(sort_first_party_imports(text))

    def create(self, root: Path, package: Path, target: Path, edits: dict[Path, str], later: dict[Path, Path]) -> None:
        """Register the app, move it into place and have makemigrations write its first migration, or undo all."""
        originals: dict[Path, str] = {}
        moved = False
        try:
            for path, text in edits.items():
                originals[path] = path.read_text()
                write_atomically(path, text)
            if target.exists():  # appeared while this command ran
                raise CommandError(MSG_APP_EXISTS.format(name=target.name))
            package.rename(target)
            moved = True
            self.make_first_migration(root, target.name)
            for relative, path in later.items():
                path.replace(target / relative)
        except BaseException:
            if moved:
                shutil.rmtree(target, ignore_errors=True)
            for path, text in originals.items():
                write_atomically(path, text)
            raise

    def make_first_migration(self, root: Path, app: str) -> None:
        """``manage.py makemigrations <app>`` in a fresh process, with these settings.

        This process loaded the settings and the app registry before the app existed;
        a new one reads the edited LOCAL_APPS and imports the new models like any later run.
        It inherits DJANGO_SETTINGS_MODULE, which Django sets from ``--settings`` too. It
        writes no bytecode, so that undoing a failure leaves no new files behind.
        """
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        command = [sys.executable, str(root / "manage.py"), "makemigrations", app, "--no-input"]
        result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            output = (result.stderr or result.stdout).strip()
            raise CommandError(MSG_MAKEMIGRATIONS_FAILED.format(app=app, output=output))

    def report(self, app: str, model: str, target: Path, include_api: bool) -> None:
        self.stdout.write(self.style.SUCCESS(f"Created apps/{app} with the model {model}:"))
        for path in sorted(target.rglob("*.py")):
            self.stdout.write(f"  apps/{app}/{path.relative_to(target)}")
        self.stdout.write(f'Added "apps.{app}" to LOCAL_APPS in {SETTINGS_FILE}.')
        if include_api:
            self.stdout.write(f"Registered its API at {context_for(app, model)['url_prefix']}/ in {API_URLS_FILE}.")
        else:
            self.stdout.write("This project has no REST API: no serializers, views or URLs were created.")
        self.stdout.write(f"Next: python manage.py migrate, then python -m pytest apps/{app}")
