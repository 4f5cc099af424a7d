"""Two replicas of one project share nothing they should not (issue 18).

One production bake runs as two gunicorn replicas (separate masters, separate ports)
behind Debian's HAProxy, which checks `/readyz` on each, with two Celery workers; all of
them share one PostgreSQL database and Redis (the cache and the broker, in databases of
their own on the server scripts/services.sh starts). Nothing a request leaves behind may
live in one process: what one replica writes, the other reads.

- a login through one replica works on the other, and a logout or a password change on
  one is honoured by both; so does an admin session;
- an order created through one replica is read through the other, and a file a worker
  wrote to the object store (an order export) is downloaded through the other replica's
  signed link;
- rate limits count the attempts of both replicas together;
- a rolling restart (SIGTERM to one replica, a new one on its port, ready; then the
  other) under wrk load through HAProxy costs no request: no 5xx, no failed connection;
- every task enqueued runs exactly once, and both workers ran some.

The object store is moto's S3 server on loopback, from the project's own virtualenv
(the bake keeps uploads in S3 with the default cloud_storage=s3).
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness.cluster import HAProxy, Replica, Worker
from tests.harness.live import free_port, kill_tree, wait_until
from tests.harness.load import Load, LoadResult
from tests.harness.process import required_tool
from tests.harness.served import OTHER_EMAIL, PASSWORD, PROXY_HEADERS, USER_EMAIL, Response, ServedProject, request
from tests.test_live_cache import ADMIN_EMAIL, Client
from tests.verify.conftest import assert_problem

# Databases on the shared Redis that no other test uses: the cache (sessions, rate
# limits, token state) and the Celery broker.
CACHE_DB, BROKER_DB = 10, 11
TOKEN = "/api/v1/auth/token/"  # noqa: S105 - a path, not a secret
REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"
SIGNUP = "/api/v1/auth/signup/"
RESET = "/api/v1/auth/password-reset/"
ME = "/api/v1/users/me/"
ORDERS = "/api/v1/orders/"
ORDER_EXPORTS = "/api/v1/order-exports/"
BUCKET = "scale-out-media"
S3_KEYS = {"DJANGO_AWS_ACCESS_KEY_ID": "scale-out-key", "DJANGO_AWS_SECRET_ACCESS_KEY": "scale-out-secret"}
AUTH_LIMIT = 10  # the "auth" throttle scope, per minute and client address
SIGNUPS = 4  # each hashes a password: about a second on a busy machine
TASKS = 16
# Longer than a rolling restart takes on a busy machine; the load is stopped as soon as it is over.
LOAD_MAX_SECONDS = 60
SETTLE_SECONDS = 1  # load before the first and after the last restart


@dataclass
class Cluster:
    served: ServedProject
    replicas: dict[str, Replica]
    balancer: HAProxy
    workers: dict[str, Worker]
    mail_dir: Path

    def on(self, name: str, method: str, path: str, client: str = "192.0.2.1", **kwargs) -> Response:
        """A request straight to one replica, as the balancer would forward it for ``client``."""
        headers = {"X-Forwarded-For": client, **kwargs.pop("headers", {})}
        return request(self.replicas[name].port, method, path, headers=headers, **kwargs)


class S3Server:
    """moto's standalone S3 server on a free loopback port, with one empty bucket: the replicas' shared store."""

    def __init__(self, python: Path, log: Path) -> None:
        self.python, self.log, self.port = python, log, free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.env = {
            "DJANGO_AWS_STORAGE_BUCKET_NAME": BUCKET,
            "DJANGO_AWS_S3_REGION_NAME": "us-east-1",
            "DJANGO_AWS_S3_ENDPOINT_URL": self.endpoint_url,
            # Path-style: a bucket cannot be a subdomain of 127.0.0.1.
            "DJANGO_AWS_S3_ADDRESSING_STYLE": "path",
            **S3_KEYS,
        }

    def start(self) -> None:
        moto = self.python.parent / "moto_server"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(moto), "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self.answers, timeout=60, what=f"moto's S3 server (log: {self.log})")
        create = (
            "import sys, boto3\n"
            "boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',"
            " aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3]).create_bucket(Bucket=sys.argv[4])\n"
        )
        keys = [S3_KEYS["DJANGO_AWS_ACCESS_KEY_ID"], S3_KEYS["DJANGO_AWS_SECRET_ACCESS_KEY"]]
        subprocess.run([str(self.python), "-c", create, self.endpoint_url, *keys, BUCKET], check=True)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            kill_tree(self.process)


def flush_redis(python: Path, *urls: str) -> None:
    code = "import redis, sys\nfor url in sys.argv[1:]: redis.Redis.from_url(url).flushdb()"
    subprocess.run([str(python), "-c", code, *urls], check=True, timeout=30)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, project_python: Path, postgres_url: str, redis_url: str) -> Iterator[Cluster]:
    haproxy = required_tool("haproxy", "haproxy")
    required_tool("wrk", "wrk")
    workdir = tmp_path_factory.mktemp("scale-out")
    server = redis_url.rsplit("/", 1)[0]
    redis_urls = (f"{server}/{CACHE_DB}", f"{server}/{BROKER_DB}")
    mail_dir = workdir / "mail"
    mail_dir.mkdir()
    # Mail goes to files in one directory both workers write to: what a shared SMTP server would see.
    mail = {
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "DJANGO_EMAIL_FILE_PATH": str(mail_dir),
    }
    store = S3Server(project_python, workdir / "s3.log")
    served = ServedProject(
        workdir / "project",
        postgres_url=postgres_url,
        redis_urls=redis_urls,
        serve=False,
        orders_per_user=3,
        extra_env={**mail, **store.env},
    )
    replicas: dict[str, Replica] = {}
    workers: dict[str, Worker] = {}
    balancer: HAProxy | None = None
    try:
        store.start()
        served.start()
        # Whatever an interrupted run left, and the messages the seed enqueued with no worker to run them.
        flush_redis(project_python, *redis_urls)
        # Every process boots side by side: on two cores that is most of the setup's time.
        replicas = {name: Replica(name, served.runner, workdir).launch() for name in ("a", "b")}
        workers = {name: Worker(name, served.runner, workdir).launch() for name in ("w1", "w2")}
        for process in [*replicas.values(), *workers.values()]:
            process.wait_ready()
        ports = {name: replica.port for name, replica in replicas.items()}
        balancer = HAProxy(haproxy, workdir / "haproxy", ports).start()
        yield Cluster(served, replicas, balancer, workers, mail_dir)
    finally:
        for process in [*workers.values(), *replicas.values(), *([balancer] if balancer else [])]:
            process.kill()
        served.stop()
        store.stop()
        flush_redis(project_python, *redis_urls)


def login(cluster: Cluster, replica: str, client: str, email: str = USER_EMAIL) -> dict[str, str]:
    answer = cluster.on(replica, "POST", TOKEN, client, json_body={"email": email, "password": PASSWORD})
    assert answer.status == 200, answer.body
    return answer.json()


# --- state written through one replica, read through the other ----------------------------


def test_a_login_through_one_replica_works_on_the_other_and_a_logout_on_either_ends_it(cluster: Cluster) -> None:
    # Given tokens obtained through replica a
    tokens = login(cluster, "a", "192.0.2.10")

    # Then replica b accepts the access token and rotates the refresh token
    me = cluster.on("b", "GET", ME, token=tokens["access"])
    assert me.status == 200, me.body
    assert me.json()["email"] == USER_EMAIL
    rotated = cluster.on("b", "POST", REFRESH, json_body={"refresh": tokens["refresh"]})
    assert rotated.status == 200, rotated.body
    # and replica a knows the token b spent is spent
    assert_problem(cluster.on("a", "POST", REFRESH, json_body={"refresh": tokens["refresh"]}), 401)

    # When the new refresh token is logged out through replica a
    logout = cluster.on(
        "a", "POST", LOGOUT, token=rotated.json()["access"], json_body={"refresh": rotated.json()["refresh"]}
    )
    assert logout.status in {200, 204}, logout.body

    # Then replica b refuses it too
    assert_problem(cluster.on("b", "POST", REFRESH, json_body={"refresh": rotated.json()["refresh"]}), 401)


def reset_link(cluster: Cluster, email: str) -> dict[str, str]:
    """The uid and token of the password-reset mail a worker sent to ``email``."""
    link = re.compile(r"/reset-password/(?P<uid>[^/\s]+)/(?P<token>[^/\s]+)/")

    def found() -> re.Match | None:
        texts = [path.read_text() for path in cluster.mail_dir.iterdir()]
        return next((m for text in texts if f"To: {email}" in text for m in [link.search(text)] if m), None)

    wait_until(lambda: found() is not None, 60, f"the reset mail to {email}")
    return found().groupdict()


def test_a_password_changed_through_one_replica_ends_the_tokens_the_other_gave(cluster: Cluster) -> None:
    # Given tokens obtained through replica a
    tokens = login(cluster, "a", "192.0.2.13", OTHER_EMAIL)

    # When the password is reset through replica b (a worker mails the link)
    asked = cluster.on("b", "POST", RESET, "192.0.2.13", json_body={"email": OTHER_EMAIL})
    assert asked.status == 202, asked.body
    confirm = {**reset_link(cluster, OTHER_EMAIL), "password": "another-Horse-43"}
    changed = cluster.on("b", "POST", f"{RESET}confirm/", "192.0.2.13", json_body=confirm)
    assert changed.status == 204, changed.body

    # Then replica a refuses both tokens it gave
    assert assert_problem(cluster.on("a", "GET", ME, token=tokens["access"]), 401)["code"] == "password_changed"
    assert_problem(cluster.on("a", "POST", REFRESH, json_body={"refresh": tokens["refresh"]}), 401)


def test_an_admin_session_started_through_one_replica_is_honoured_by_the_other(cluster: Cluster) -> None:
    # Given an admin (with two-factor authentication, as production requires) logged in through replica a
    [code] = cluster.served.runner.shell(
        "from apps.users.mfa import mfa_setup\nfrom apps.users.models import User\n"
        f"admin = User.objects.create_superuser({ADMIN_EMAIL!r}, {PASSWORD!r})\n"
        "print(mfa_setup(user=admin)[1][0])"
    ).split()
    browser = Client(cluster.replicas["a"].port, "192.0.2.14")
    status, _ = browser.try_logging_in(code=code, email=ADMIN_EMAIL)
    assert status == 302
    assert browser.is_logged_in()

    # When the same browser's next request reaches replica b
    browser.port = cluster.replicas["b"].port

    # Then the session is there (PostgreSQL, with Redis in front), not in a's memory
    assert browser.is_logged_in()


def test_an_order_created_through_one_replica_is_read_through_the_other(cluster: Cluster) -> None:
    access = login(cluster, "b", "192.0.2.11")["access"]
    item = {"product_id": cluster.served.product_id, "quantity": 1}

    created = cluster.on("b", "POST", ORDERS, token=access, json_body={"items": [item]})
    assert created.status == 201, created.body
    read = cluster.on("a", "GET", f"{ORDERS}{created.json()['id']}/", token=access)

    assert read.status == 200, read.body
    assert read.json() == created.json()


def test_rate_limits_count_the_requests_made_through_both_replicas(cluster: Cluster) -> None:
    # Given one client (one forwarded address) asking for password resets, through both replicas in turn
    # (the "auth" scope's limit, as for logins, without hashing a password per request).
    # The limit counts per wall-clock minute: all twelve requests (a second or two) must share one.
    if time.time() % 60 > 50:
        time.sleep(60.5 - time.time() % 60)
    body = {"email": "nobody@example.com"}
    client = "198.51.100.77"

    statuses = [cluster.on("ab"[n % 2], "POST", RESET, client, json_body=body).status for n in range(AUTH_LIMIT)]
    # When the next request goes to either replica
    after = [cluster.on(name, "POST", RESET, client, json_body=body).status for name in ("a", "b")]

    # Then the limit counted all of them: each replica alone has seen only half the limit
    assert statuses == [202] * AUTH_LIMIT
    assert after == [429, 429]


def test_a_file_a_worker_stored_is_downloaded_through_the_other_replica(cluster: Cluster) -> None:
    # Given an export of the user's orders asked for through replica a (a worker writes its CSV to the store)
    access = login(cluster, "a", "192.0.2.12")["access"]
    created = cluster.on("a", "POST", ORDER_EXPORTS, token=access)
    assert created.status == 202, created.body
    detail = f"{ORDER_EXPORTS}{created.json()['id']}/"

    # When replica b is asked for it once it is ready
    def ready() -> bool:
        return cluster.on("b", "GET", detail, token=access).json()["status"] != "pending"

    wait_until(ready, timeout=60, what="the export to be built")
    export = cluster.on("b", "GET", detail, token=access).json()

    # Then b's signed link downloads the file from the shared store: a header and a row per order of the user's
    assert export["status"] == "ready", export
    assert export["download_url"].startswith(cluster.served.runner.env["DJANGO_AWS_S3_ENDPOINT_URL"])
    with urllib.request.urlopen(export["download_url"], timeout=10) as download:  # noqa: S310 - loopback
        header, *rows = download.read().decode().splitlines()
    orders = cluster.on("a", "GET", ORDERS, token=access).json()["results"]
    assert header.startswith("order_id,")
    assert sorted(row.split(",")[0] for row in rows) == sorted(order["id"] for order in orders)


# --- a rolling restart under load ------------------------------------------------------------


def restart(cluster: Cluster, name: str) -> dict[str, float]:
    """Replace one replica as an orchestrator does; how long each step took, in seconds."""
    replica = cluster.replicas[name]
    started = time.monotonic()
    assert replica.terminate() == 0, replica.log.read_text()[-4000:]
    stopped = time.monotonic()
    replica.start()
    ready = time.monotonic()
    wait_until(lambda: name in cluster.balancer.servers_up(), 30, f"haproxy to put {name} back")
    return {"drain": stopped - started, "boot": ready - stopped, "back": time.monotonic() - ready}


def test_a_rolling_restart_under_load_loses_no_request(cluster: Cluster) -> None:
    # Given GET traffic through the balancer: an authenticated endpoint (database, token) and liveness
    access = login(cluster, "a", "192.0.2.12")["access"]
    port = cluster.balancer.port
    loads = {
        "users_me": Load(port, ME, headers={**PROXY_HEADERS, "Authorization": f"Bearer {access}"}, connections=6),
        "healthz": Load(port, "/healthz", headers=PROXY_HEADERS, connections=2, threads=1),
    }
    for load in loads.values():
        load.start(LOAD_MAX_SECONDS)
    steps: dict[str, dict[str, float]] = {}
    results: dict[str, LoadResult] = {}
    try:
        time.sleep(SETTLE_SECONDS)
        # When each replica in turn gets SIGTERM and is replaced by a new one on its port
        for name in ("a", "b"):
            steps[name] = restart(cluster, name)
        time.sleep(SETTLE_SECONDS)
        # The last new replica has served some of the load before it stops (on a busy machine, a
        # second after its return may not be enough for the balancer to send it any).
        wait_until(
            lambda: "GET /api/v1/users/me/" in cluster.replicas["b"].log.read_text(),
            timeout=30,
            what="the new replica b to serve the load",
        )
    finally:
        for name, load in loads.items():
            results[name] = load.stop()
    stats = cluster.balancer.stats()
    figures = {
        "steps": {name: {step: round(seconds, 1) for step, seconds in times.items()} for name, times in steps.items()},
        "load": {name: result.status_counts | {"requests": result.requests} for name, result in results.items()},
        "haproxy": {
            key: {
                field: stats[key][field]
                for field in ("hrsp_2xx", "hrsp_5xx", "econ", "eresp", "wretr", "wredis", "chkdown")
            }
            for key in ("replicas/a", "replicas/b", "replicas/BACKEND")
        },
    }
    print(json.dumps(figures))  # shown with -s, and in a failure's report

    # Then no client saw an error: no failed connection, nothing but 2xx
    for result in results.values():
        assert result.requests > 0, figures
        assert result.status_counts["socket_errors"] == 0, figures
        assert result.status_counts["2xx"] == result.requests, figures
    # and the balancer answered no 5xx of its own (503, 502, 504) nor passed one on
    assert int(stats["web/FRONTEND"]["hrsp_5xx"]) == 0, figures
    assert int(stats["replicas/BACKEND"]["hrsp_5xx"]) == 0, figures
    # and each replica really went away under load, and came back and served again
    for name in ("a", "b"):
        assert int(stats[f"replicas/{name}"]["chkdown"]) >= 1, figures
        assert "GET /api/v1/users/me/" in cluster.replicas[name].log.read_text(), figures


# --- background tasks --------------------------------------------------------------------------


TASK_LINE = re.compile(r"Task (?P<name>[\w.]+)\[(?P<id>[\w-]+)\] (?P<event>received|succeeded)")
SEND_TASKS = (
    "from apps.core.tasks import sessions_clear_expired_task as task\n"
    "for n in range({count}): task.apply_async(task_id=f'scale-out-{{n}}')"
)


def task_events(log: Path) -> list[tuple[str, str, str]]:
    return [(m["event"], m["name"], m["id"]) for m in TASK_LINE.finditer(log.read_text())]


def test_every_task_runs_exactly_once_across_the_two_workers(cluster: Cluster) -> None:
    # Given tasks enqueued by both replicas (the welcome mail of each sign-up) and by a command
    emails = [f"scale-out-{n}@example.com" for n in range(SIGNUPS)]
    for n, email in enumerate(emails):
        # An address per sign-up, none another test used: the "auth" limit counts per client.
        answer = cluster.on(
            "ab"[n % 2], "POST", SIGNUP, f"203.0.113.{n + 1}", json_body={"email": email, "password": PASSWORD}
        )
        assert answer.status == 202, answer.body
    cluster.served.runner.shell(SEND_TASKS.format(count=TASKS))
    sent_ids = {f"scale-out-{n}" for n in range(TASKS)}

    def mails() -> Counter[str]:
        texts = [path.read_text() for path in cluster.mail_dir.iterdir()]
        return Counter(email for email in emails for text in texts if f"To: {email}" in text)

    def all_done() -> bool:
        succeeded = {
            task_id
            for worker in cluster.workers.values()
            for event, _, task_id in task_events(worker.log)
            if event == "succeeded"
        }
        return sent_ids <= succeeded and len(mails()) == SIGNUPS

    # When the two workers have run them
    wait_until(all_done, 90, "every task to be run")
    time.sleep(2)  # had both workers taken one message, its second run would show by now

    # Then every task the workers received ran exactly once, across both of them
    events = {name: task_events(worker.log) for name, worker in cluster.workers.items()}
    succeeded = Counter(
        task_id for worker_events in events.values() for event, _, task_id in worker_events if event == "succeeded"
    )
    received = Counter(
        task_id for worker_events in events.values() for event, _, task_id in worker_events if event == "received"
    )
    assert received == succeeded, events
    assert set(succeeded.values()) == {1}, succeeded
    assert sent_ids <= succeeded.keys()
    welcome = [
        task_id
        for worker_events in events.values()
        for _, name, task_id in worker_events
        if name.endswith("user_welcome_email_send_task")
    ]
    assert len(set(welcome)) == SIGNUPS
    # and each sign-up got its one mail
    assert mails() == dict.fromkeys(emails, 1)
    # and both workers took a share
    ran = {name: sum(event == "succeeded" for event, _, _ in worker_events) for name, worker_events in events.items()}
    assert all(ran.values()), ran
