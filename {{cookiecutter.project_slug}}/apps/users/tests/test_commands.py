"""The operator's commands: mfa_setup gives an account a device, mfa_reset takes it off (a lost device)."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_static.models import StaticToken

from apps.core.mfa import mfa_verify
from apps.users.mfa import MSG_MFA_ALREADY_ON, RECOVERY_CODE_COUNT
from apps.users.models import User
from apps.users.selectors import user_mfa_enabled

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_mfa_setup_prints_the_secret_and_recovery_codes_that_work(user: User) -> None:
    output = run("mfa_setup", user.email.upper())

    assert user_mfa_enabled(user=user)
    [uri] = re.findall(r"otpauth://totp/\S+", output)
    assert "secret=" in uri
    printed = set(re.findall(r"^  ([a-z2-7]{8})$", output, re.MULTILINE))
    assert printed == set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(printed) == RECOVERY_CODE_COUNT
    assert mfa_verify(user=user, code=printed.pop())


def test_mfa_setup_refuses_an_account_that_has_a_device(user: User) -> None:
    run("mfa_setup", user.email)

    with pytest.raises(CommandError, match=re.escape(MSG_MFA_ALREADY_ON)):
        run("mfa_setup", user.email)


def test_mfa_reset_takes_the_devices_off_so_setup_can_run_again(user: User) -> None:
    run("mfa_setup", user.email)

    run("mfa_reset", user.email)

    assert not user_mfa_enabled(user=user)
    assert not StaticToken.objects.filter(device__user=user).exists()
    assert "otpauth://" in run("mfa_setup", user.email)


@pytest.mark.parametrize("command", ["mfa_setup", "mfa_reset"])
def test_an_unknown_email_is_an_error(db: None, command: str) -> None:
    with pytest.raises(CommandError, match=re.escape("No account uses nobody@example.com.")):
        run(command, "nobody@example.com")
