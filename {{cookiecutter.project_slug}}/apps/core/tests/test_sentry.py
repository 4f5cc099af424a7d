from unittest import mock

import pytest

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
