from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.tokens import PasswordResetTokenGenerator


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    """Tokens for the link that proves an address: spent once it is verified, void if the address changes."""

    key_salt = "apps.users.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user: AbstractBaseUser, timestamp: int) -> str:
        return f"{user.pk}{getattr(user, 'email', '')}{getattr(user, 'email_verified_at', None)}{timestamp}"


email_verification_token_generator = EmailVerificationTokenGenerator()
