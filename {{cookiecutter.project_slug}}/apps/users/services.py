"""Writes for the users domain. Views and tasks call these; nothing else saves a User."""

import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from apps.core.transactions import on_commit_robust
from apps.users.managers import UserManager, validate_email_normalisable
from apps.users.models import User
from apps.users.selectors import USER_STATS_CACHE_KEY, user_get_by_email
from apps.users.tasks import (
    user_email_change_email_send_task,
    user_email_changed_notice_send_task,
    user_password_reset_email_send_task,
    user_signup_notice_send_task,
    user_welcome_email_send_task,
)
from apps.users.tokens import email_change_token_email, email_change_token_make, email_verification_token_generator

WELCOME_EMAIL_SUBJECT = "Welcome aboard"
SIGNUP_NOTICE_SUBJECT = "Someone tried to sign up with your address"
MSG_VERIFY_LINK_INVALID = "This confirmation link is invalid or has expired."
RESET_EMAIL_SUBJECT = "Set a new password"
MSG_RESET_LINK_INVALID = "This password reset link is invalid or has expired; ask for a new one."
EMAIL_CHANGE_SUBJECT = "Confirm your new email address"
EMAIL_CHANGED_SUBJECT = "The email address of your account was changed"
MSG_EMAIL_CHANGE_LINK_INVALID = "This confirmation link is invalid or has expired; ask for the change again."
# At most one email of each kind asked for by somebody other than the address's owner
# (a sign-up's welcome or notice, a reset link, an email-change link) per address in
# this window: the endpoints that send them cannot be used to flood somebody's inbox.
MAIL_COOLDOWN_SECONDS = 5 * 60


def user_stats_cache_clear() -> None:
    cache.delete(USER_STATS_CACHE_KEY)


def _first_mail_in_cooldown(purpose: str, email: str) -> bool:
    """Whether a rate-limited email to ``email`` may go out: False while its window for ``purpose`` is open."""
    # Keyed by a digest of the address: a 254-character address with a non-ASCII domain would
    # make a key that Django warns about and memcached refuses (over 250 characters).
    key = f"users:{purpose}-sent:{hashlib.sha256(email.encode()).hexdigest()}"
    # cache.add is False for a key that exists; None (Redis down, errors ignored) lets the email through.
    return cache.add(key, True, MAIL_COOLDOWN_SECONDS) is not False


def _validate_new_password(password: str, user: User) -> None:
    """Django's password validators, with their errors attributed to the field so an API can point at it."""
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from error


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
    email_verified: bool = True,
) -> User:
    """Create an account; raises ``ValidationError`` for a taken email or a weak password.

    ``password=None`` makes an account that cannot log in with a password
    (for invitations or single sign-on). ``email_verified=False`` is for sign-ups
    (``user_signup``): the account cannot log in until its owner follows the link in
    the welcome email. The welcome email goes out only once the account is
    committed, so a rolled-back sign-up never sends one.
    """
    user = User(
        email=UserManager.normalize_email(email),
        full_name=full_name,
        is_staff=is_staff,
        email_verified_at=timezone.now() if email_verified else None,
    )
    user.full_clean(exclude=["password"])
    if password is None:
        user.set_unusable_password()
    else:
        _validate_new_password(password, user)
        user.set_password(password)
    _save_claiming_email(user)
    transaction.on_commit(user_stats_cache_clear)
    # What fails after the commit is logged, not turned into a failed sign-up.
    on_commit_robust(user_welcome_email_send_task.delay, user_id=str(user.pk))
    return user


@transaction.atomic
def user_signup(*, email: str, password: str, full_name: str = "") -> None:
    """Self-service sign-up: a new, unverified account, or a notice to the address's owner.

    Either way the caller learns nothing about whether the address was taken: the
    same errors for a weak password, the same password hashing cost, no return
    value. A new account's welcome email carries the link that verifies it; the
    owner of a taken address is told somebody tried, and how to reset the password,
    at most once per cooldown window: the welcome email opens that window too.
    """
    email = UserManager.normalize_email(email)
    if user_get_by_email(email=email) is None:
        try:
            user_create(email=email, password=password, full_name=full_name, email_verified=False)
            # The same cache write as the other branch's, so that neither answers faster.
            _first_mail_in_cooldown("signup", email)
            return
        except ValidationError as error:
            # Another sign-up took the address since the lookup: answer as for a taken one.
            if not any(taken.code == "unique" for taken in getattr(error, "error_dict", {}).get("email", [])):
                raise
    _validate_new_password(password, User(email=email, full_name=full_name))
    make_password(password)  # as long as creating the account would have taken
    if _first_mail_in_cooldown("signup", email):
        on_commit_robust(user_signup_notice_send_task.delay, email=email)


def _user_from_link(uid: str) -> User | None:
    """The active account a mailed link names, locked, or None for a link that names none."""
    try:
        user_id = urlsafe_base64_decode(uid).decode()
    except (ValueError, UnicodeDecodeError):  # binascii.Error is a ValueError
        return None
    try:
        # Locked: two uses of one link at once queue here, and the second finds it spent.
        return User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    except ValidationError:  # not a UUID
        return None


def _link(template: str, user: User, token: str) -> str:
    return template.format(uid=urlsafe_base64_encode(force_bytes(user.pk)), token=token)


@transaction.atomic
def user_email_verify(*, uid: str, token: str) -> User:
    """Mark the address verified from the link in the welcome email; the account can then log in."""
    user = _user_from_link(uid)
    if user is None or not email_verification_token_generator.check_token(user, token):
        raise ValidationError({"token": MSG_VERIFY_LINK_INVALID})
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at", "updated_at"])
    return user


@transaction.atomic
def user_update(*, user: User, full_name: str | None = None, email: str | None = None) -> User:
    """Change profile fields; only what is passed is written.

    A new email takes effect at once, unverified by any link: this is for staff and
    commands. Account owners change theirs through ``user_email_change_request``.
    """
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
            .first()
        )
        if user is None:
            return False
        message = f"Hello {user.get_short_name()}, your account is ready."
        if user.email_verified_at is None:
            link = _link(settings.EMAIL_VERIFY_URL, user, email_verification_token_generator.make_token(user))
            message = (
                f"Hello {user.get_short_name()},\n\nconfirm your address to start using your account "
                f"(within {settings.PASSWORD_RESET_TIMEOUT // 60} minutes):\n{link}\n\n"
                "Link expired? Ask for a password reset with this address: it confirms the address too."
            )
        send_mail(
            subject=WELCOME_EMAIL_SUBJECT,
            message=message,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
        user.welcome_email_sent_at = timezone.now()
        user.save(update_fields=["welcome_email_sent_at"])
    return True


def user_signup_notice_send(*, email: str) -> bool:
    """Tell the owner of ``email`` that somebody tried to sign up with it; False when no account uses it."""
    user = user_get_by_email(email=email)
    if user is None or not user.is_active:
        return False
    send_mail(
        subject=SIGNUP_NOTICE_SUBJECT,
        message=(
            f"Hello {user.get_short_name()},\n\nsomebody tried to create an account with this address, "
            "which already has one. If it was you, log in, or ask for a password reset if you forgot "
            "the password. If it was not, you need do nothing."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )
    return True


def user_password_reset_request(*, email: str) -> None:
    """Send a link to set a new password, if an active account uses ``email``.

    Nothing tells the caller whether one does: no return value, no error, and the
    account is looked up only when the email is sent, not here. That keeps the API
    from answering "is this address registered?".
    """
    email = UserManager.normalize_email(email)
    if not _first_mail_in_cooldown("password-reset", email):
        return
    on_commit_robust(user_password_reset_email_send_task.delay, email=email)


def user_password_reset_email_send(*, email: str) -> bool:
    """Email a one-time link to the active account using ``email``; False when there is none."""
    user = user_get_by_email(email=email)
    if user is None or not user.is_active or not user.has_usable_password():
        return False
    link = _link(settings.PASSWORD_RESET_URL, user, default_token_generator.make_token(user))
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
    """Set a new password from an emailed link; it also verifies the address.

    The token is bound to the old password hash, so the link works once; and the
    JWTs issued before (which carry a hash of it too) stop working with it.
    """
    user = _user_from_link(uid)
    if user is None or not default_token_generator.check_token(user, token):
        raise ValidationError({"token": MSG_RESET_LINK_INVALID})
    _validate_new_password(password, user)
    user.set_password(password)
    changed = ["password", "updated_at"]
    if user.email_verified_at is None:
        # The link reached the address: that is what verifying it proves.
        user.email_verified_at = timezone.now()
        changed.append("email_verified_at")
    user.save(update_fields=changed)
    return user


def user_email_change_request(*, user: User, email: str) -> None:
    """Mail ``email`` a link that makes it ``user``'s login email; nothing changes until it is followed.

    Whether another account uses ``email`` is looked up only when the email is sent
    (and then nothing is sent), so the caller learns nothing from the answer. At most
    one link per address goes out in the cooldown window.
    """
    email = UserManager.normalize_email(email)
    try:
        validate_email(email)
        validate_email_normalisable(email)
    except ValidationError as error:
        raise ValidationError({"email": error.error_list}) from error
    if email == user.email or not _first_mail_in_cooldown("email-change", email):
        return
    on_commit_robust(user_email_change_email_send_task.delay, user_id=str(user.pk), email=email)


def user_email_change_email_send(*, user_id: uuid.UUID | str, email: str) -> bool:
    """Mail the link that confirms ``email`` as the account's new address; False when there is nothing to confirm.

    Nothing: the account is gone or inactive, or an account (this one included) uses the address already.
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user_get_by_email(email=email) is not None:
        return False
    link = _link(settings.EMAIL_CHANGE_URL, user, email_change_token_make(user, email))
    send_mail(
        subject=EMAIL_CHANGE_SUBJECT,
        message=(
            f"Hello {user.get_short_name()},\n\nto log in with this address from now on, confirm it "
            f"within {settings.PASSWORD_RESET_TIMEOUT // 60} minutes:\n{link}\n\n"
            "If you did not ask for this, ignore this email: nothing changes without the link."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[email],
    )
    return True


@transaction.atomic
def user_email_change_confirm(*, uid: str, token: str) -> User:
    """Make the address a confirmation link was mailed to the account's login email, verified.

    The link works once (the token is bound to the address it replaces) and dies with a
    password change. The address it replaces is told, so a change its owner did not
    make does not go unnoticed.
    """
    user = _user_from_link(uid)
    email = email_change_token_email(user, token) if user is not None else None
    if user is None or email is None:
        raise ValidationError({"token": MSG_EMAIL_CHANGE_LINK_INVALID})
    previous = user.email
    user.email = email
    user.email_verified_at = timezone.now()
    # Another account may have taken the address since the link was sent.
    user.full_clean(exclude=["password"])
    _save_claiming_email(user, update_fields=["email", "email_verified_at", "updated_at"])
    on_commit_robust(user_email_changed_notice_send_task.delay, email=previous, new_email=email)
    return user


def user_email_changed_notice_send(*, email: str, new_email: str) -> None:
    """Tell the address an account used to log in with that the account now uses ``new_email``."""
    send_mail(
        subject=EMAIL_CHANGED_SUBJECT,
        message=(
            f"Hello,\n\nthe account that used this address now logs in with {new_email}. "
            "If you did not make this change, contact us straight away: somebody else may hold your account."
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[email],
    )
