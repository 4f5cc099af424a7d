"""Celery on real Redis and PostgreSQL: a baked project's own code enqueues, a real worker runs.

The second test kills a worker (SIGKILL to its whole process tree) while the task
is blocked inside the database, and shows the message is delivered again and the
effect happens once. The third gives the worker a task that kills the process
running it, every time: the message is dropped after three deliveries, not
handed back forever, and the worker goes on with the next one.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.live import ProjectRunner, create_database, kill_tree, redis_command, wait_until
from tests.harness.process import clean_env, run

WORKER_ARGS = [
    "-m", "celery", "-A", "config", "worker", "-Q", "critical,default", "--concurrency", "1",
    "--loglevel", "INFO", "--without-gossip", "--without-mingle",
]  # fmt: skip

VISIBILITY_TIMEOUT = 3
BROKER_DATABASE = 5  # of the test Redis; 6 is the cache's
MSG_BROKER_IN_USE = (
    "{count} other clients are connected to the broker database {broker}: a worker left by an earlier run?"
)
LOCK_ROW = """
import sys
from django.db import transaction
from apps.users.models import User
with transaction.atomic():
    User.objects.select_for_update().get(email={email!r})
    print("locked", flush=True)
    sys.stdin.readline()
"""
LOCK_WAITERS = """
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("select count(*) from pg_stat_activity where wait_event_type = 'Lock'")
    print(cursor.fetchone()[0])
"""
SENT_AT = (
    "from apps.users.models import User; "
    "print(User.objects.filter(email={email!r}).values_list('welcome_email_sent_at', flat=True).first())"
)


@pytest.fixture(scope="module")
def runner(cookies_session, project_python: Path, postgres_url: str, redis_url: str, tmp_path_factory) -> Iterator:
    result = cookies_session.bake(extra_context={"project_slug": "tasks_live"})
    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)
    database_url, drop_database = create_database(project_python, postgres_url)
    redis_server = redis_url.rsplit("/", 1)[0]
    broker = f"{redis_server}/{BROKER_DATABASE}"
    cache_url = f"{redis_server}/6"  # counts unfinished deliveries across worker processes
    mail_dir = tmp_path_factory.mktemp("mail")
    runner = ProjectRunner(
        project,
        project_python,
        mail_dir=mail_dir,
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker,
            "REDIS_URL": cache_url,
            # Redis hands back an unacknowledged message after this many seconds.
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "DJANGO_EMAIL_FILE_PATH": str(mail_dir),
        },
    )
    # A worker of another run on the broker's database would take these tests' messages.
    clients = redis_command(project_python, broker, "CLIENT LIST")
    others = sum(client["db"] == str(BROKER_DATABASE) for client in clients) - 1  # less the one asking
    assert others == 0, MSG_BROKER_IN_USE.format(broker=broker, count=others)
    for url in (broker, cache_url):
        redis_command(project_python, url, "FLUSHDB")
    runner.manage("migrate", "--noinput")
    yield runner
    drop_database()


def start_worker(runner: ProjectRunner, log: Path) -> subprocess.Popen:
    worker = runner.popen([str(runner.python), *WORKER_ARGS], log)
    wait_until(lambda: "ready." in log.read_text() or worker.poll() is not None, 60, "the worker to start")
    assert worker.poll() is None, log.read_text()
    return worker


def sign_up(runner: ProjectRunner, email: str) -> None:
    # The project's own service: it enqueues the welcome email once the row is committed.
    runner.shell(
        f"from apps.users.services import user_create; user_create(email={email!r}, password='plausible-Horse-42')"
    )


def sent_mails(runner: ProjectRunner, email: str) -> list[str]:
    assert runner.mail_dir is not None
    texts = [path.read_text() for path in sorted(runner.mail_dir.iterdir())]
    return [text for text in texts if f"To: {email}" in text]


def test_worker_runs_a_task_enqueued_by_the_project(runner: ProjectRunner, tmp_path: Path) -> None:
    worker = start_worker(runner, tmp_path / "worker.log")
    try:
        sign_up(runner, "ann@example.com")

        wait_until(lambda: runner.shell(SENT_AT.format(email="ann@example.com")) != "None", 60, "the task's effect")
    finally:
        kill_tree(worker)

    mails = sent_mails(runner, "ann@example.com")
    assert len(mails) == 1
    assert "Subject: Welcome aboard" in mails[0]
    assert "user_welcome_email_send_task" in (tmp_path / "worker.log").read_text()


def test_task_of_a_killed_worker_is_delivered_again_and_done_once(runner: ProjectRunner, tmp_path: Path) -> None:
    email = "bob@example.com"
    sign_up(runner, email)  # no worker yet: the message waits in the queue

    # Hold the user's row so the task blocks inside the database, mid-run.
    locker = subprocess.Popen(
        [str(runner.python), "manage.py", "shell", "--no-imports", "-c", LOCK_ROW.format(email=email)],
        cwd=runner.project,
        env=clean_env(runner.env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    first = None
    try:
        assert locker.stdout.readline().strip() == "locked"
        first = start_worker(runner, tmp_path / "first.log")
        wait_until(lambda: runner.shell(LOCK_WAITERS) != "0", 60, "the task to block on the row lock")
    finally:
        # Killed before the lock goes, and on a timeout too: a worker left running would take
        # the next test's messages.
        if first is not None:
            kill_tree(first)
        locker.stdin.write("\n")
        locker.stdin.close()
        locker.wait(timeout=30)

    assert runner.shell(SENT_AT.format(email=email)) == "None"
    assert sent_mails(runner, email) == []

    # The message stays "unacknowledged" in Redis until the visibility timeout has
    # passed; a worker starting after that hands it back to the queue at once.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    second = start_worker(runner, tmp_path / "second.log")
    try:
        wait_until(lambda: runner.shell(SENT_AT.format(email=email)) != "None", 90, "the re-delivered task's effect")
        time.sleep(VISIBILITY_TIMEOUT + 1)  # a duplicate delivery would show by now
    finally:
        kill_tree(second)

    assert len(sent_mails(runner, email)) == 1
    assert "succeeded" in (tmp_path / "second.log").read_text()


# Appended to the baked project's apps/core/tasks.py: a task that dies the way an
# out-of-memory kill does, taking the pool process that runs it along.
POISON_TASK = """

@shared_task
def poison_task() -> None:
    import os, signal
    os.kill(os.getpid(), signal.SIGKILL)
"""


# Copies of one message the broker still holds: queued, or delivered and not yet acknowledged.
COPIES_LEFT = """
import redis
broker = redis.Redis.from_url({url!r})
held = [item for key in broker.scan_iter() if broker.type(key) == b"list" for item in broker.lrange(key, 0, -1)]
print(sum({task_id!r}.encode() in item for item in [*held, *broker.hvals("unacked")]))
"""


def test_a_task_that_kills_every_worker_running_it_is_dropped(runner: ProjectRunner, tmp_path: Path) -> None:
    tasks = runner.project / "apps" / "core" / "tasks.py"
    tasks.write_text(tasks.read_text() + POISON_TASK)
    # Two copies of one message, as Redis hands out when one outlives the visibility timeout
    # unacknowledged: the count is the message's, so the copies do not get three deaths each.
    runner.shell(
        "from apps.core.tasks import poison_task\nfor _ in range(2): poison_task.apply_async(task_id='poison-copies')"
    )
    count_copies = COPIES_LEFT.format(url=runner.env["CELERY_BROKER_URL"], task_id="poison-copies")
    dropped = "Dropped task apps.core.tasks.poison_task[poison-copies]: its last 3 deliveries never finished"
    copy_dropped = "Dropped task apps.core.tasks.poison_task[poison-copies] again"
    log = tmp_path / "worker.log"

    def done() -> bool:
        text = log.read_text()
        if dropped not in text or copy_dropped not in text:
            return False
        return run([str(runner.python), "-c", count_copies], cwd=runner.project).stdout.strip() == "0"

    worker = start_worker(runner, log)
    try:
        # Over when both copies were dropped and the broker holds none of the message any more,
        # however long the worker takes to notice each death and however many copies Redis made.
        wait_until(done, 120, "both copies to be dropped")
        # The worker survived it and takes the next message.
        sign_up(runner, "cid@example.com")
        wait_until(lambda: runner.shell(SENT_AT.format(email="cid@example.com")) != "None", 60, "the next task")
        assert worker.poll() is None
    finally:
        kill_tree(worker)

    text = log.read_text()
    assert len(re.findall(r"Process 'ForkPoolWorker-\d+' pid:\d+ exited with 'signal 9", text)) == 3, text[-4000:]
    assert text.count(dropped) == 1, text[-4000:]
