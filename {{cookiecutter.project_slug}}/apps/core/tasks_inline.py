"""The task decorator every app's tasks use: this project runs its tasks inline.

A task is a function that a service hands to ``on_commit_robust(task.delay, ...)``.
Here ``delay`` calls the function at once, in the caller's process, so the services
and tasks read exactly as they would with a task queue in front of them.
"""

import functools
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar
{%- if cookiecutter.use_tenancy %}

from apps.tenancy.context import tenant_bound
{%- endif %}

P = ParamSpec("P")
R = TypeVar("R")

# No queue, so no retries: what a task raises reaches its caller (on_commit_robust logs it).
RETRY_TRANSIENT_ERRORS: dict[str, Any] = {}


class InlineTask(Generic[P, R]):
    """A function that can also be called as ``task.delay(...)``, which runs it right away."""

    def __init__(self, func: Callable[P, R]) -> None:
        self.run = func
        functools.update_wrapper(self, func)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.run(*args, **kwargs)

    def delay(self, *args: P.args, **kwargs: P.kwargs) -> R:
{%- if cookiecutter.use_tenancy %}
        # Inside the tenant it was called in, like a queued task: after a commit, that
        # tenant's transaction (and with it the database's setting) has ended.
        return tenant_bound(self.run)(*args, **kwargs)
{%- else %}
        return self.run(*args, **kwargs)
{%- endif %}

    def __repr__(self) -> str:
        # What the error log of a failed after-commit call names.
        return f"<task {self.run.__module__}.{self.run.__qualname__}>"


def task(**options: Any) -> Callable[[Callable[P, R]], InlineTask[P, R]]:
    """``@task(**RETRY_TRANSIENT_ERRORS)``: the options a queued task would take are accepted and ignored."""

    def decorate(func: Callable[P, R]) -> InlineTask[P, R]:
        return InlineTask(func)

    return decorate
