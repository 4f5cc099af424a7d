"""Take two-factor authentication off an account whose owner lost their device and recovery codes.

Check who is asking before you run it: until the account has a new device (``mfa_setup``),
its password alone logs in wherever a second factor is optional; the admin stays closed to it.
"""

from apps.users.management.account_command import AccountCommand
from apps.users.mfa import mfa_reset
from apps.users.models import User


class Command(AccountCommand):
    help = "Delete an account's authenticator app and recovery codes (a lost device)."

    def handle_account(self, user: User) -> None:
        mfa_reset(user=user)
        self.stdout.write(f"Two-factor authentication is off for {user.email}; run mfa_setup to give it a new device.")
