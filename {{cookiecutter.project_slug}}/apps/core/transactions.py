"""Work that follows a commit and must not undo its success."""

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def on_commit_robust(func: Callable[..., object], /, **kwargs: Any) -> None:
    """Call ``func(**kwargs)`` once the current transaction commits; log what it raises instead of raising it.

    For side effects (enqueueing a task, sending an email) whose failure must not turn
    a committed write into an error response: the row is saved either way, and the
    error log, with its traceback, says what did not follow.

    Not ``transaction.on_commit(partial(func, ...), robust=True)``: Django 5.2 names a
    failed robust callback by its ``__qualname__``, which a partial does not have, so
    an AttributeError escapes in place of the logged error (Django ticket #36487).
    """

    def call() -> None:
        try:
            func(**kwargs)
        except Exception:
            # Only the callable: its arguments may be personal data (an address).
            logger.exception("After a commit, %r failed", func)

    transaction.on_commit(call)
