from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    """Tokens for the link that proves an address: spent once it is verified, void if the address changes."""

    key_salt = "apps.users.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user: AbstractBaseUser, timestamp: int) -> str:
        return f"{user.pk}{getattr(user, 'email', '')}{getattr(user, 'email_verified_at', None)}{timestamp}"


email_verification_token_generator = EmailVerificationTokenGenerator()


def _email_change_salt(user: AbstractBaseUser) -> str:
    # The account's present address and password hash key the signature: the link is spent
    # once the address changes, and void once the password does (a reset after a stolen
    # password must not leave the thief's change pending).
    return f"apps.users.tokens.email_change:{user.pk}:{getattr(user, 'email', '')}:{user.password}"


def email_change_token_make(user: AbstractBaseUser, email: str) -> str:
    """A token that names ``email`` as ``user``'s new address; it carries the address, signed, not hidden."""
    return signing.dumps(email, salt=_email_change_salt(user))


def email_change_token_email(user: AbstractBaseUser, token: str) -> str | None:
    """The address a token made for ``user`` names, or None if it is forged, spent or expired."""
    try:
        email = signing.loads(token, salt=_email_change_salt(user), max_age=settings.PASSWORD_RESET_TIMEOUT)
    except signing.BadSignature:  # SignatureExpired included
        return None
    return email if isinstance(email, str) else None
