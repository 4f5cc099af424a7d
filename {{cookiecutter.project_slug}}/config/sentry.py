"""Error tracking: on when SENTRY_DSN is set, a no-op otherwise (local runs, tests, CI)."""

import logging

import sentry_sdk
{%- if cookiecutter.use_celery %}
from sentry_sdk.integrations.celery import CeleryIntegration
{%- endif %}
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration, ignore_logger


def sentry_init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> bool:
    """Start the Sentry client; returns whether it was started."""
    if not dsn:
        return False
    # A request for a host outside ALLOWED_HOSTS is a scanner's, answered 400 (see logging_config):
    # not an event, nor a breadcrumb, or internet background noise would spend the event quota.
    ignore_logger("django.security.DisallowedHost")
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[
            DjangoIntegration(),
            # ERROR log records become events; INFO and up ride along as breadcrumbs.
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
{%- if cookiecutter.use_celery %}
            CeleryIntegration(),
{%- endif %}
        ],
        traces_sample_rate=traces_sample_rate,
        # Users' emails and IP addresses stay out of a third-party service.
        send_default_pii=False,
        # The default scrubbing blanks known keys only: a login's password sits in stack
        # frames' local variables and a refresh token in the request body, both sent as they are.
        include_local_variables=False,
        max_request_body_size="never",
    )
    return True
