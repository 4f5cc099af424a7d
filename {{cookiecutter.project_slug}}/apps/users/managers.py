from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.utils import timezone

if TYPE_CHECKING:
    from apps.users.models import User

MSG_EMAIL_NOT_NORMALISABLE = (
    "This address cannot be used: the part before the @ must be in plain ASCII letters, digits and symbols, "
    "and the domain must be written as it is registered."
)


def email_is_normalisable(email: str) -> bool:
    """Whether ``email`` lower-cases, and is mailed, as the address that was typed.

    Lower-casing is not the same for every letter: U+0131 (dotless i) stays itself,
    U+212A (Kelvin sign) becomes an ASCII "k", U+0130 (capital I with a dot) becomes
    two code points. Nor does the mailer send every address as typed: it has no
    SMTPUTF8, so a non-ASCII local part goes out as an RFC 2047 encoded word that no
    mailbox is called, and a domain goes out in its IDNA form, which turns U+00DF
    (sharp s) into "ss" and fullwidth letters into ASCII ones. So the local part must
    be ASCII, and the domain must come back from its IDNA form unchanged: international
    domains are kept, and what that form would change is refused.
    """
    email = email.strip()
    local, _, domain = email.rpartition("@")
    if not local.isascii() or unicodedata.normalize("NFKC", email) != email:
        return False
    domain = domain.lower()
    try:
        return domain.encode("idna").decode("idna") == domain
    except UnicodeError:
        return False


def validate_email_normalisable(email: str) -> None:
    if not email_is_normalisable(email):
        raise ValidationError(MSG_EMAIL_NOT_NORMALISABLE, code="invalid")


class UserManager(BaseUserManager["User"]):
    """Email is the login: stored lower-case so that Ann@X.com and ann@x.com are one account."""

    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        email = (email or "").strip()
        # An address lower-casing would change into another is left as typed, for validation
        # to refuse (validate_email_normalisable) and for lookups to find no account with.
        return email.lower() if email_is_normalisable(email) else email

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=self.normalize_email(username))

    def create_user(self, email: str, password: str | None = None, **extra_fields: Any) -> User:
        if not email:
            raise ValueError("Users must have an email address.")
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        # Made by whoever runs the command, not by the address's owner signing up.
        extra_fields.setdefault("email_verified_at", timezone.now())
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra_fields: Any) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if extra_fields["is_staff"] is not True or extra_fields["is_superuser"] is not True:
            raise ValueError("A superuser must have is_staff=True and is_superuser=True.")
        return self.create_user(email, password, **extra_fields)
