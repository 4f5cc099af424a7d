"""Give an account an authenticator app and recovery codes: how staff get into the admin.

Prints the secret (as an otpauth:// URI an authenticator app reads) and the recovery
codes once, to this terminal only: nothing is logged, and they cannot be shown again.
Hand them to the account's owner over a channel you trust.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.users.mfa import mfa_setup
from apps.users.selectors import user_get_by_email

MSG_NO_SUCH_USER = "No account uses {email}."


class Command(BaseCommand):
    help = "Set up two-factor authentication for an account; prints its secret and recovery codes once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The account's login email.")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        user = user_get_by_email(email=email)
        if user is None:
            raise CommandError(MSG_NO_SUCH_USER.format(email=email))
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
