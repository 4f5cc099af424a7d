"""Floor twins: plain Django views written into the benchmark's copy of the project, never into a bake.

``install_floor`` adds config/bench_floor.py (the twin views, mounted by config/urls.py)
and config/bench_floor_wsgi.py (the bare /healthz, dispatched ahead of every middleware
by config/wsgi.py) to a baked project. ``TWINS`` maps each measured endpoint to its twin's
path; ``same_answer`` is the check, made before any load, that both answer the same.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
MARKER = "# make bench: floor twins"
API = "/api/v1/"
FLOOR_API = "/api/floor/"


def install_floor(project: Path) -> None:
    config = project / "config"
    shutil.copyfile(HERE / "floor_views.py", config / "bench_floor.py")
    shutil.copyfile(HERE / "floor_wsgi.py", config / "bench_floor_wsgi.py")
    with (config / "urls.py").open("a") as urls:
        urls.write(f"\n{MARKER}\nfrom config.bench_floor import urlpatterns as floor_urlpatterns\n")
        urls.write("urlpatterns += floor_urlpatterns\n")
    with (config / "wsgi.py").open("a") as wsgi:
        wsgi.write(f"\n{MARKER}\nfrom config.bench_floor_wsgi import floor_dispatch\n")
        wsgi.write("application = floor_dispatch(application)\n")


def twin_path(name: str, path: str) -> str:
    """The floor twin of one measured endpoint's path."""
    if name == "healthz":
        return "/floor/healthz"
    assert path.startswith(API), path
    return FLOOR_API + path[len(API) :]


def json_shape(value: object) -> object:
    """Keys and types, not values: two newly created orders differ only in ids and times."""
    if isinstance(value, dict):
        return {key: json_shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_shape(item) for item in value]
    return type(value).__name__


def same_answer(method: str, ours: tuple[int, bytes], twin: tuple[int, bytes]) -> str | None:
    """None when the twin answers as the endpoint does (byte for byte; by shape for a create), else why not."""
    (status, body), (twin_status, twin_body) = ours, twin
    if status != twin_status:
        return f"status {status} against the twin's {twin_status}"
    if method == "POST":
        if json_shape(json.loads(body)) != json_shape(json.loads(twin_body)):
            return f"shapes differ:\n{body[:400]!r}\n{twin_body[:400]!r}"
        return None
    if body != twin_body:
        return f"bodies differ:\n{body[:400]!r}\n{twin_body[:400]!r}"
    return None
