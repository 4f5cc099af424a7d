"""The base of the operator's commands that act on one account, named by its login email."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.users.models import User
from apps.users.selectors import user_get_by_email

MSG_NO_SUCH_USER = "No account uses {email}."


class AccountCommand(BaseCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The account's login email.")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        user = user_get_by_email(email=email)
        if user is None:
            raise CommandError(MSG_NO_SUCH_USER.format(email=email))
        self.handle_account(user)

    def handle_account(self, user: User) -> None:
        raise NotImplementedError
