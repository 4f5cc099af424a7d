"""Take two-factor authentication off an account whose owner lost their device and recovery codes.

Check who is asking before you run it: until the account has a new device (``mfa_setup``),
its password alone logs in wherever a second factor is optional; the admin stays closed to it.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.users.mfa import mfa_reset
from apps.users.selectors import user_get_by_email

MSG_NO_SUCH_USER = "No account uses {email}."


class Command(BaseCommand):
    help = "Delete an account's authenticator app and recovery codes (a lost device)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The account's login email.")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        user = user_get_by_email(email=email)
        if user is None:
            raise CommandError(MSG_NO_SUCH_USER.format(email=email))
        mfa_reset(user=user)
        self.stdout.write(f"Two-factor authentication is off for {user.email}; run mfa_setup to give it a new device.")
