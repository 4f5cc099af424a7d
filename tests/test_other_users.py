"""A checkout used by more than one user: the host's developer and the compose containers.

`make quickstart` on the host writes `.secret_key`, private to whoever ran it; the
compose services then start on the same bind-mounted checkout, and a container that
ran as someone else used to die reading it. These tests need root (CI is root): root
itself reads any file, so the process under test runs as root without the capabilities
that bypass file permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), which makes it as
unprivileged towards another user's files as any other account, wherever the project's
virtualenv lives.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.harness.process import missing, required_tool, run

# Neither root nor the owner of anything in the test's files: "the developer" on the host.
DEVELOPER_UID, DEVELOPER_GID = 1001, 1002


@pytest.fixture(scope="module")
def setpriv() -> str:
    if os.geteuid() != 0:
        missing("these tests change file owners and drop capabilities, which needs root")
    return required_tool("setpriv", "util-linux")


def without_file_privileges(setpriv: str, command: list[str]) -> list[str]:
    """``command`` run as root that file permissions bind like anyone else."""
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--", *command]


@pytest.fixture(scope="module")
def project(cookies_session, setpriv: str) -> Path:
    result = cookies_session.bake(extra_context={"project_slug": "shared_checkout"})
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


@pytest.mark.parametrize("host_ran_first", [True, False], ids=["host-then-container", "container-first"])
def test_local_settings_start_in_a_checkout_another_user_owns(
    project: Path, project_python: Path, setpriv: str, host_ran_first: bool
) -> None:
    key_file = project / ".secret_key"
    key_file.unlink(missing_ok=True)
    if host_ran_first:  # `make quickstart` as the developer: the key is theirs, mode 0600
        run([str(project_python), "manage.py", "check"], cwd=project)
        assert key_file.stat().st_mode & 0o077 == 0
    for path in (project, key_file):
        if path.exists():
            os.chown(path, DEVELOPER_UID, DEVELOPER_GID)
    shown = run(without_file_privileges(setpriv, ["cat", str(key_file)]), cwd=project, check=False)
    assert shown.returncode != 0, "the process under test can read another user's private file"

    started = run(
        without_file_privileges(setpriv, [str(project_python), "manage.py", "check"]), cwd=project, check=False
    )

    assert started.returncode == 0, started.stderr[-3000:]
    assert "System check identified no issues" in started.stdout
    assert "using a key for this process only" in started.stderr


def test_compose_services_run_as_the_owner_of_the_checkout(project: Path, setpriv: str, tmp_path: Path) -> None:
    """No UID in the environment (bash does not export it): the entrypoint finds the owner itself."""
    compose = yaml.safe_load((project / "compose.yml").read_text())
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    os.chown(checkout, DEVELOPER_UID, DEVELOPER_GID)
    services = [name for name, service in compose["services"].items() if "build" in service]
    assert "${UID" not in (project / "compose.yml").read_text()

    for name in services:
        # `$$` in the file is a `$` for the container's shell.
        entrypoint = [arg.replace("$$", "$") for arg in compose["services"][name]["entrypoint"]]
        assert compose["services"][name]["user"] == "root", name
        written = run([*entrypoint, "sh", "-c", "id -u; id -g; touch made-here"], cwd=checkout)
        assert written.stdout.split() == [str(DEVELOPER_UID), str(DEVELOPER_GID)], name
        assert (checkout / "made-here").stat().st_uid == DEVELOPER_UID
        (checkout / "made-here").unlink()
