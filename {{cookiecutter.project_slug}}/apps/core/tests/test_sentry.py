import logging
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport
from sentry_sdk.types import Event

from apps.core.tests.test_settings import PRODUCTION_ENV, load
from config.sentry import sentry_init


def test_without_a_dsn_nothing_starts() -> None:
    with mock.patch("sentry_sdk.init") as init:
        assert sentry_init(dsn="", environment="production", release="1.0", traces_sample_rate=0.0) is False

    init.assert_not_called()


def test_with_a_dsn_the_client_starts_without_personal_data() -> None:
    with mock.patch("sentry_sdk.init") as init:
        started = sentry_init(
            dsn="https://key@sentry.example.com/1", environment="staging", release="1.0", traces_sample_rate=0.1
        )

    assert started is True
    options = init.call_args.kwargs
    assert options["dsn"] == "https://key@sentry.example.com/1"
    assert options["environment"] == "staging"
    assert options["send_default_pii"] is False
    assert options["include_local_variables"] is False
    assert options["max_request_body_size"] == "never"
    assert options["traces_sample_rate"] == 0.1
    assert "DjangoIntegration" in {type(integration).__name__ for integration in options["integrations"]}


@pytest.mark.parametrize(("dsn", "enabled"), [("", False), ("https://key@sentry.example.com/1", True)])
def test_production_settings_start_sentry_only_with_a_dsn(monkeypatch, dsn: str, enabled: bool) -> None:
    with mock.patch("sentry_sdk.init") as init:
        settings = load("config.settings.production", monkeypatch, {**PRODUCTION_ENV, "SENTRY_DSN": dsn})

    assert settings.SENTRY_ENABLED is enabled
    assert init.called is enabled


class RecordingTransport(Transport):
    """Keeps what the client would send to Sentry, offline."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.events: list[Event] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        event = envelope.get_event()
        if event is not None:
            self.events.append(event)


@pytest.fixture
def sent_to_sentry() -> Iterator[list[Event]]:
    """Start the client as production does, with a transport that records events instead of sending them."""
    transport = RecordingTransport()
    real_init = sentry_sdk.init
    with mock.patch("sentry_sdk.init", lambda **options: real_init(transport=transport, **options)):
        sentry_init(dsn="https://key@sentry.example.com/1", environment="test", release="1.0", traces_sample_rate=0.0)
    try:
        yield transport.events
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)


# The pinned SDK deprecates send_default_pii (sentry_init sets it); the warning is not this test's subject.
@pytest.mark.filterwarnings("ignore:The send_default_pii option is deprecated:DeprecationWarning")
def test_requests_for_hosts_outside_allowed_hosts_send_no_event(client, sent_to_sentry) -> None:
    # Issue 17, finding 4: five scanners' requests were five error events.
    statuses = [client.get("/any-page/", HTTP_HOST=f"scanner{n}.evil.com").status_code for n in range(5)]
    logging.getLogger("apps.core.tests").error("an error that is an event")
    sentry_sdk.flush()

    assert statuses == [400] * 5
    # The error logged afterwards shows the client was recording.
    assert [event["logentry"]["message"] for event in sent_to_sentry] == ["an error that is an event"]
