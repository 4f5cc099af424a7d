import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from apps.webhooks.checks import MSG_LOOPBACK_ALLOWED
from config.settings.webhooks_settings import webhook_providers


def test_providers_are_read_with_their_scheme_and_secret() -> None:
    raw = {"billing": {"scheme": "standard", "secret": "whsec_a2V5"}, "stripe": {"scheme": "stripe", "secret": "s"}}

    assert webhook_providers(raw) == raw


@pytest.mark.parametrize(
    "config",
    [{"scheme": "standard"}, {"scheme": "standard", "secret": ""}, {"scheme": "github", "secret": "s"}, "whsec_a2V5"],
    ids=["no-secret", "empty-secret", "unknown-scheme", "not-an-object"],
)
def test_a_provider_that_could_verify_nothing_stops_the_start(config) -> None:
    with pytest.raises(ImproperlyConfigured, match="billing"):
        webhook_providers({"billing": config})


@pytest.mark.parametrize("allowed", [True, False])
def test_loopback_deliveries_fail_the_deployment_checks(settings, allowed: bool) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK = allowed

    messages = checks.run_checks(tags=[checks.Tags.security], include_deployment_checks=True)

    found = [message.msg for message in messages if message.id == "webhooks.W001"]
    assert found == ([MSG_LOOPBACK_ALLOWED] if allowed else [])
