"""Interpreters and the cached virtualenv every baked project runs in."""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

from tests.harness.template import CACHE_DIR, PROJECT_TEMPLATE, load_hook

post_gen = load_hook("post_gen_project")

# The template's own tooling installs uv (requirements-dev.txt).
UV = Path(sys.executable).parent / "uv"
# Part of a cached virtualenv's key: one made another way is made again, not reused. Bytecode
# is compiled at install because this machine sets PYTHONDONTWRITEBYTECODE, and without it
# every process compiles Django and the rest from source (twice the CPU, more memory).
INSTALL_OPTIONS = ("--quiet", "--compile-bytecode", "--require-hashes")


def interpreter_version(interpreter: str | Path) -> str:
    """``sys.version`` of an interpreter: the running one's without a subprocess."""
    if str(interpreter) == sys.executable:
        return sys.version
    command = [str(interpreter), "-c", "import sys; sys.stdout.write(sys.version)"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def find_python(version: str) -> str | None:
    """An interpreter for ``version`` ("3.13"): ``python3.13`` on PATH, else pyenv's highest 3.13.N.

    A candidate must answer as that version: a pyenv shim on PATH exists for every installed
    Python but runs only the ones pyenv has selected.
    """
    pattern = re.compile(rf"{re.escape(version)}\.\d+")
    patches = [path for path in (Path.home() / ".pyenv" / "versions").glob("*") if pattern.fullmatch(path.name)]
    highest = max(patches, key=lambda path: int(path.name.rsplit(".", 1)[1]), default=None)
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    for candidate in (shutil.which(f"python{version}"), highest and highest / "bin" / f"python{version}"):
        if candidate is None or not Path(candidate).exists():
            continue
        answer = subprocess.run([str(candidate), "-c", probe], capture_output=True, text=True, check=False)
        if answer.returncode == 0 and answer.stdout.strip() == version:
            return str(candidate)
    return None


def superset_lock(interpreter: str | Path = sys.executable) -> Path:
    """The development lock of a bake with every dependency toggle on, for the interpreter's Python.

    Every other bake's lock for that Python is a subset of it, at the same versions
    (scripts/lock.py seeds them from it), so one virtualenv runs them all.
    """
    python = ".".join(interpreter_version(interpreter).split()[0].split(".")[:2])
    answers = {"python_version": python, **dict.fromkeys(post_gen.LOCK_TOGGLES, True)}
    return PROJECT_TEMPLATE / post_gen.LOCKS_DIR / post_gen.lock_key(answers) / "local.txt"


def requirements_digest(interpreter: str | Path = sys.executable) -> str:
    """What a project virtualenv is made of: the interpreter's exact version, how it installs, and the lock."""
    digest = hashlib.sha256(interpreter_version(interpreter).encode())
    digest.update(" ".join(INSTALL_OPTIONS).encode())
    digest.update(superset_lock(interpreter).read_bytes())
    return digest.hexdigest()[:16]


def project_venv(interpreter: str | Path = sys.executable) -> Path:
    """One virtualenv for every baked project, installed once from the superset lock and reused while it is unchanged.

    Made with ``interpreter`` (by default the Python running the tests); each interpreter
    version gets its own. Several test runs may share the cache directory: one installs,
    the others wait for it. Returns the venv's python.
    """
    venv_dir = CACHE_DIR / f"project-venv-{requirements_digest(interpreter)}"
    python = venv_dir / "bin" / "python"
    marker = venv_dir / ".installed"
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with (CACHE_DIR / f"{venv_dir.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            shutil.rmtree(venv_dir, ignore_errors=True)
            if str(interpreter) == sys.executable:
                venv.create(venv_dir, with_pip=True)
            else:  # venv.create always makes a venv of the running Python
                subprocess.run([str(interpreter), "-m", "venv", str(venv_dir)], check=True)
            # Every file checked against the lock's hashes, as `make install` checks them; uv
            # rather than pip because it fetches in parallel: CI builds three of these from nothing.
            install = [UV, "pip", "install", *INSTALL_OPTIONS, "--python", python]
            subprocess.run([*install, "-r", superset_lock(interpreter)], check=True)
            marker.touch()
    return python
