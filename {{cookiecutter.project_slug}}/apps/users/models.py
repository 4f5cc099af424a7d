from collections.abc import Collection
from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models

from apps.core.models import TimeStampedModel, UUIDModel
from apps.users.managers import UserManager, validate_email_normalisable


class User(UUIDModel, TimeStampedModel, AbstractBaseUser, PermissionsMixin):
    """Logs in by email; there is no username to forget or to collide."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=255, blank=True)
    is_staff = models.BooleanField(
        default=False,
        help_text="Designates whether the user can log into the admin site.",
    )
    is_active = models.BooleanField(
        default=True,
        help_text="Unselect this instead of deleting accounts.",
    )
    welcome_email_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set once the owner of the address has followed the link mailed at sign-up (or a
    # password reset link). Accounts made by staff or commands start verified.
    email_verified_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "user"
        verbose_name_plural = "users"

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = UserManager.normalize_email(self.email)

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        super().clean_fields(exclude)  # raises for an address that is not one at all
        # What a validator on the field would do; there it would need a migration that changes nothing.
        if exclude is None or "email" not in exclude:
            try:
                validate_email_normalisable(self.email)
            except ValidationError as error:
                raise ValidationError({"email": error.error_list}) from error

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email
