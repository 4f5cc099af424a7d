"""Give an account an authenticator app and recovery codes: how staff get into the admin.

Prints the secret (as an otpauth:// URI an authenticator app reads) and the recovery
codes once, to this terminal only: nothing is logged, and they cannot be shown again.
Hand them to the account's owner over a channel you trust.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from apps.users.management.account_command import AccountCommand
from apps.users.mfa import mfa_setup
from apps.users.models import User


class Command(AccountCommand):
    help = "Set up two-factor authentication for an account; prints its secret and recovery codes once."

    def handle_account(self, user: User) -> None:
        try:
            enrolment, recovery_codes = mfa_setup(user=user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"Two-factor authentication is on for {user.email}.")
        self.stdout.write("Add this to an authenticator app (most read it as a link or a QR code of it):")
        self.stdout.write(f"  {enrolment.provisioning_uri}")
        self.stdout.write(f"or type in the secret: {enrolment.secret}")
        self.stdout.write("Recovery codes, each good for one login without the app; keep them offline:")
        for code in recovery_codes:
            self.stdout.write(f"  {code}")
