"""Writes for the users domain. Views and tasks call these; nothing else saves a User."""

import uuid
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from apps.users.managers import UserManager
from apps.users.models import User
from apps.users.selectors import USER_STATS_CACHE_KEY, user_get_by_email
{%- if cookiecutter.use_celery %}
from apps.users.tasks import user_password_reset_email_send_task, user_welcome_email_send_task
{%- endif %}

WELCOME_EMAIL_SUBJECT = "Welcome aboard"
RESET_EMAIL_SUBJECT = "Set a new password"
MSG_RESET_LINK_INVALID = "This password reset link is invalid or has expired; ask for a new one."
# At most one reset email per address in this window: the public endpoint that asks
# for one cannot be used to flood somebody's inbox.
PASSWORD_RESET_COOLDOWN_SECONDS = 5 * 60


def user_stats_cache_clear() -> None:
    cache.delete(USER_STATS_CACHE_KEY)


def _save_claiming_email(user: User, **save_options: Any) -> None:
    """Save, turning a lost race for the email into the error full_clean gives.

    full_clean checks that the email is free, but two sign-ups for one address can
    both pass that check before either saves; the unique index then refuses one.
    """
    try:
        with transaction.atomic():  # a savepoint: the outer transaction stays usable
            user.save(**save_options)
    except IntegrityError:
        if not User.objects.filter(email=user.email).exclude(pk=user.pk).exists():
            raise
        raise ValidationError({"email": user.unique_error_message(User, ("email",))}) from None


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None = None,
    full_name: str = "",
    is_staff: bool = False,
) -> User:
    """Create an account; raises ``ValidationError`` for a taken email or a weak password.

    ``password=None`` makes an account that cannot log in with a password
    (for invitations or single sign-on). The welcome email goes out only once the
    account is committed, so a rolled-back sign-up never sends one.
    """
    user = User(email=UserManager.normalize_email(email), full_name=full_name, is_staff=is_staff)
    user.full_clean(exclude=["password"])
    if password is None:
        user.set_unusable_password()
    else:
        try:
            validate_password(password, user=user)
        except ValidationError as error:
            # Attributed to the field, so an API can point the user at it.
            raise ValidationError({"password": error.error_list}) from error
        user.set_password(password)
    _save_claiming_email(user)
    transaction.on_commit(user_stats_cache_clear)
{%- if cookiecutter.use_celery %}
    # robust: a broker outage after the commit is logged, not turned into a failed sign-up.
    transaction.on_commit(partial(user_welcome_email_send_task.delay, user_id=str(user.pk)), robust=True)
{%- else %}
    # robust: a mail server outage after the commit is logged, not turned into a failed sign-up.
    transaction.on_commit(partial(user_welcome_email_send, user_id=user.pk), robust=True)
{%- endif %}
    return user


@transaction.atomic
def user_update(*, user: User, full_name: str | None = None, email: str | None = None) -> User:
    """Change profile fields; only what is passed is written."""
    changed = []
    if full_name is not None and full_name != user.full_name:
        user.full_name = full_name
        changed.append("full_name")
    if email is not None and UserManager.normalize_email(email) != user.email:
        user.email = UserManager.normalize_email(email)
        changed.append("email")
    if changed:
        try:
            user.full_clean(exclude=["password"])
            _save_claiming_email(user, update_fields=[*changed, "updated_at"])
        except ValidationError:
            # The caller's instance must not keep values the database refused.
            user.refresh_from_db(fields=changed)
            raise
    return user


@transaction.atomic
def user_deactivate(*, user: User) -> User:
    """Accounts are switched off, not deleted: their history stays attached."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active", "updated_at"])
        transaction.on_commit(user_stats_cache_clear)
    return user


def user_welcome_email_send(*, user_id: uuid.UUID | str) -> bool:
    """Send the welcome email once; returns False when there is nothing to send.

    Safe to run any number of times: the row lock makes concurrent runs queue up,
    and the timestamp written in the same transaction makes every run after the
    first a no-op. A crash between sending and committing can still send twice
    (email is at-least-once by nature); it can never mark a mail sent that was not.
    """
    with transaction.atomic():
        user = (
            User.objects.select_for_update()
            .filter(pk=user_id, is_active=True, welcome_email_sent_at__isnull=True)
            .only("id", "email", "full_name", "welcome_email_sent_at")
            .first()
        )
        if user is None:
            return False
        send_mail(
            subject=WELCOME_EMAIL_SUBJECT,
            message=f"Hello {user.get_short_name()}, your account is ready.",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
        user.welcome_email_sent_at = timezone.now()
        user.save(update_fields=["welcome_email_sent_at"])
    return True


def user_password_reset_request(*, email: str) -> None:
    """Send a link to set a new password, if an active account uses ``email``.

    Nothing tells the caller whether one does: no return value, no error, and the
    account is looked up only when the email is sent, not here. That keeps the API
    from answering "is this address registered?".
    """
    email = UserManager.normalize_email(email)
    # False while this address's window is open; None (Redis down, errors ignored) lets it through.
    if cache.add(f"users:password-reset-sent:{email}", True, PASSWORD_RESET_COOLDOWN_SECONDS) is False:
        return
{%- if cookiecutter.use_celery %}
    transaction.on_commit(partial(user_password_reset_email_send_task.delay, email=email), robust=True)
{%- else %}
    transaction.on_commit(partial(user_password_reset_email_send, email=email), robust=True)
{%- endif %}


def user_password_reset_email_send(*, email: str) -> bool:
    """Email a one-time link to the active account using ``email``; False when there is none."""
    user = user_get_by_email(email=email)
    if user is None or not user.is_active or not user.has_usable_password():
        return False
    link = settings.PASSWORD_RESET_URL.format(
        uid=urlsafe_base64_encode(force_bytes(user.pk)), token=default_token_generator.make_token(user)
    )
    send_mail(
        subject=RESET_EMAIL_SUBJECT,
        message=(
            f"Hello {user.get_short_name()},\n\n"
            f"set a new password within {settings.PASSWORD_RESET_TIMEOUT // 60} minutes here:\n{link}\n\n"
            "If you did not ask for this, ignore this email: your password stays as it is."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )
    return True


@transaction.atomic
def user_password_reset_confirm(*, uid: str, token: str, password: str) -> User:
    """Set a new password from an emailed link.

    The token is bound to the old password hash, so the link works once; and the
    JWTs issued before (which carry a hash of it too) stop working with it.
    """
    try:
        user_id = urlsafe_base64_decode(uid).decode()
    except (ValueError, UnicodeDecodeError):  # binascii.Error is a ValueError
        user_id = ""
    try:
        # Locked: two uses of one link at once queue here, and the second finds it spent.
        user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    except ValidationError:  # not a UUID
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        raise ValidationError({"token": MSG_RESET_LINK_INVALID})
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from error
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    return user
