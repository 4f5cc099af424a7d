import contextlib
import threading
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from apps.api.exceptions import PROBLEM_CONTENT_TYPE
from apps.api.middleware import PRIVATE_NO_STORE
from apps.api.tests.test_throttling import freeze_throttle_clock
from apps.users import serializers
from apps.users.managers import MSG_EMAIL_NOT_NORMALISABLE
from apps.users.models import User
from apps.users.serializers import MSG_CONFIRM_EMAIL_CHANGE, MSG_EMAIL_CHANGE_ELSEWHERE
from apps.users.services import (
    MSG_EMAIL_CHANGE_LINK_INVALID,
    MSG_RESET_LINK_INVALID,
    MSG_VERIFY_LINK_INVALID,
    SIGNUP_NOTICE_SUBJECT,
)
from apps.users.tests.factories import DEFAULT_PASSWORD, LONG_IDN_EMAIL, UserFactory
from apps.users.views import MSG_EMAIL_CHANGE_REQUESTED, MSG_RESET_REQUESTED, MSG_SIGNUP_ACCEPTED

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "plausible-Horse-42"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def obtain_tokens(api: APIClient, user: User) -> dict[str, str]:
    response = api.post(reverse("auth-token"), {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()


def link_in(message: mail.EmailMessage) -> dict[str, str]:
    [url] = [word for word in message.body.split() if word.startswith("https://app.example.com/")]
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def test_signup_logs_in_only_after_the_link_in_the_welcome_email(
    api: APIClient, settings, django_capture_on_commit_callbacks
) -> None:
    settings.EMAIL_VERIFY_URL = "https://app.example.com/verify?uid={uid}&token={token}"
    credentials = {"email": "Ann@Example.com", "password": STRONG_PASSWORD}

    # Given a sign-up, answered without echoing anything back
    with django_capture_on_commit_callbacks(execute=True):
        signup = api.post(reverse("auth-signup"), {**credentials, "full_name": "Ann"})
    assert signup.status_code == 202
    assert signup.json() == {"detail": MSG_SIGNUP_ACCEPTED}
    assert User.objects.get(email="ann@example.com").check_password(STRONG_PASSWORD)

    # Then it cannot log in before its address is confirmed...
    assert api.post(reverse("auth-token"), credentials).status_code == 401

    # ...and can once the link in the email is followed, which works once
    link = link_in(mail.outbox[0])
    assert api.post(reverse("auth-verify-email"), link).status_code == 204
    assert api.post(reverse("auth-token"), credentials).status_code == 200
    again = api.post(reverse("auth-verify-email"), link)
    assert again.status_code == 400
    assert again.json()["errors"] == [{"field": "token", "message": MSG_VERIFY_LINK_INVALID, "code": "invalid"}]


def test_signup_with_a_weak_password_is_a_field_error(api: APIClient) -> None:
    response = api.post(reverse("auth-signup"), {"email": "ann@example.com", "password": "123"})

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert {
        "field": "password",
        "message": "This password is too short. It must contain at least 8 characters.",
        "code": "password_too_short",
    } in response.json()["errors"]
    assert not User.objects.exists()


def test_signup_with_an_address_that_does_not_survive_normalisation_is_a_field_error(
    api: APIClient, django_capture_on_commit_callbacks
) -> None:
    # Dotless i lower-cases to itself, and the mailer would send the local part as an RFC 2047 word.
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("auth-signup"), {"email": "\u0131van@example.com", "password": STRONG_PASSWORD})

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "email", "message": MSG_EMAIL_NOT_NORMALISABLE, "code": "invalid"}]
    assert not User.objects.exists()
    assert mail.outbox == []


def test_asking_to_move_to_an_address_that_does_not_survive_normalisation_is_a_field_error(
    api: APIClient, user: User, django_capture_on_commit_callbacks
) -> None:
    api.force_authenticate(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            reverse("users-me-email"), {"email": "\u0131van@example.com", "current_password": DEFAULT_PASSWORD}
        )

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "email", "message": MSG_EMAIL_NOT_NORMALISABLE, "code": "invalid"}]
    assert mail.outbox == []


def test_signup_with_a_taken_email_answers_like_a_new_one_and_tells_the_owner(
    api: APIClient, django_capture_on_commit_callbacks
) -> None:
    owner = UserFactory.create(email="ann@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("auth-signup"), {"email": "ANN@example.com", "password": STRONG_PASSWORD})

    assert response.status_code == 202
    assert response.json() == {"detail": MSG_SIGNUP_ACCEPTED}
    assert list(User.objects.all()) == [owner]
    assert [(m.subject, m.to) for m in mail.outbox] == [(SIGNUP_NOTICE_SUBJECT, [owner.email])]


def test_login_returns_a_token_pair_that_authenticates(api: APIClient, user: User) -> None:
    tokens = obtain_tokens(api, user)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    response = api.get(reverse("users-me"))

    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_wrong_password_is_401(api: APIClient, user: User) -> None:
    response = api.post(reverse("auth-token"), {"email": user.email, "password": "wrong"})

    assert response.status_code == 401
    assert response.json()["code"] == "no_active_account"


def test_login_is_rate_limited(api: APIClient, user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_throttle_clock(monkeypatch)

    statuses = [
        api.post(reverse("auth-token"), {"email": user.email, "password": "wrong"}).status_code for _ in range(11)
    ]

    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429


def refresh(api: APIClient, token: str):
    return api.post(reverse("auth-token-refresh"), {"refresh": token})


def spent_a_while_ago() -> None:
    """Move every blacklisting back in time, past the moments in which a duplicate counts as concurrent."""
    BlacklistedToken.objects.update(blacklisted_at=timezone.now() - timedelta(hours=1))


def test_refresh_rotates_and_the_old_refresh_token_is_dead(api: APIClient, user: User) -> None:
    tokens = obtain_tokens(api, user)

    rotated = refresh(api, tokens["refresh"])
    duplicate = refresh(api, tokens["refresh"])

    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != tokens["refresh"]
    # Presented again at once, as by a second tab or a retry: refused, and nothing else ends.
    assert duplicate.status_code == 401
    assert duplicate.json()["code"] == "token_not_valid"
    assert refresh(api, rotated.json()["refresh"]).status_code == 200


def test_of_two_refreshes_racing_with_one_token_exactly_one_wins(
    api: APIClient, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = obtain_tokens(api, user)
    raced: list[Any] = []

    def user_get_while_another_redeems(**kwargs):
        # The first redemption has found the token unspent and not yet spent it: the second arrives now.
        monkeypatch.undo()
        raced.append(refresh(APIClient(), tokens["refresh"]))
        return serializers.user_get(**kwargs)

    monkeypatch.setattr(serializers, "user_get", user_get_while_another_redeems)
    first = refresh(api, tokens["refresh"])
    [second] = raced

    # The second, which spent the token first, wins; the first then finds it spent
    assert (second.status_code, first.status_code) == (200, 401)
    assert first.json()["code"] == "token_not_valid"
    # and the winner's tokens go on working
    assert refresh(api, second.json()["refresh"]).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_of_eight_concurrent_refreshes_with_one_token_exactly_one_wins() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks: run with DATABASE_URL pointing at PostgreSQL")
    tokens = obtain_tokens(APIClient(), UserFactory.create())
    racers = 8
    at_the_write = threading.Barrier(racers)
    answers: list[Any] = []

    def wait_for_the_others_before_spending(execute, sql, params, many, context):
        # The worst interleaving: each redemption that gets as far as spending the token waits
        # there for the others to get as far. While one holds the token locked, none does.
        if sql.startswith(f'INSERT INTO "{BlacklistedToken._meta.db_table}"'):
            with contextlib.suppress(threading.BrokenBarrierError):
                at_the_write.wait(timeout=2)
        return execute(sql, params, many, context)

    def redeem() -> None:
        try:
            with connection.execute_wrapper(wait_for_the_others_before_spending):
                answers.append(refresh(APIClient(), tokens["refresh"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(answer.status_code for answer in answers) == [200] + [401] * (racers - 1)
    [winner] = [answer for answer in answers if answer.status_code == 200]
    assert refresh(APIClient(), winner.json()["refresh"]).status_code == 200


def test_a_reused_refresh_token_ends_every_session_of_its_login(api: APIClient, user: User) -> None:
    # Given a login whose refresh token was rotated twice, and a second login of the same user
    stolen = obtain_tokens(api, user)["refresh"]
    latest = refresh(api, refresh(api, stolen).json()["refresh"]).json()["refresh"]
    other_login = obtain_tokens(api, user)["refresh"]
    spent_a_while_ago()

    # When the first token is presented again
    reused = refresh(api, stolen)

    # Then it is refused as a reuse, and the token that descends from it is dead too
    assert reused.status_code == 401
    assert reused["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert reused.json()["code"] == "token_reused"
    ended = refresh(api, latest)
    assert ended.status_code == 401
    # while the other login goes on
    assert refresh(api, other_login).status_code == 200


def test_a_password_change_ends_every_session(api: APIClient, user: User) -> None:
    # Given tokens obtained before the password changed
    tokens = obtain_tokens(api, user)
    user.set_password(STRONG_PASSWORD)
    user.save(update_fields=["password"])

    # When they are used
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    me = api.get(reverse("users-me"))
    api.credentials()
    refresh = api.post(reverse("auth-token-refresh"), {"refresh": tokens["refresh"]})

    # Then neither the access token nor the refresh token works any more
    assert me.status_code == 401
    assert refresh.status_code == 401
    assert refresh.json()["code"] == "no_active_account"


def test_refreshing_a_deleted_account_is_401_not_500(api: APIClient, user: User) -> None:
    tokens = obtain_tokens(api, user)
    User.objects.filter(pk=user.pk).delete()

    refresh = api.post(reverse("auth-token-refresh"), {"refresh": tokens["refresh"]})

    assert refresh.status_code == 401
    assert refresh.json()["code"] == "no_active_account"


def test_verify_accepts_a_good_token_and_refuses_a_forged_one(api: APIClient, user: User) -> None:
    tokens = obtain_tokens(api, user)

    assert api.post(reverse("auth-token-verify"), {"token": tokens["access"]}).status_code == 200
    assert api.post(reverse("auth-token-verify"), {"token": tokens["access"] + "x"}).status_code == 401


def end_account(user: User, how: str) -> None:
    if how == "deleted":
        User.objects.filter(pk=user.pk).delete()
    elif how == "deactivated":
        User.objects.filter(pk=user.pk).update(is_active=False)
    else:
        user.set_password(STRONG_PASSWORD)
        user.save(update_fields=["password"])


@pytest.mark.parametrize(
    ("how", "code"),
    [("deleted", "user_not_found"), ("deactivated", "user_inactive"), ("re-passworded", "password_changed")],
)
def test_verify_refuses_what_the_api_refuses(api: APIClient, user: User, how: str, code: str) -> None:
    # Given an access token of an account deleted, deactivated or given a new password since
    tokens = obtain_tokens(api, user)
    end_account(user, how)

    # When it is verified, and used
    verified = api.post(reverse("auth-token-verify"), {"token": tokens["access"]})
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    used = api.get(reverse("users-me"))

    # Then both answers are the same 401
    assert used.status_code == verified.status_code == 401
    assert verified["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert used.json()["code"] == verified.json()["code"] == code


def test_verify_refuses_a_refresh_token_which_authenticates_nothing(api: APIClient, user: User) -> None:
    tokens = obtain_tokens(api, user)

    verified = api.post(reverse("auth-token-verify"), {"token": tokens["refresh"]})

    assert verified.status_code == 401
    assert verified.json()["code"] == "token_not_valid"


def test_logout_blacklists_the_refresh_token(api: APIClient, user: User) -> None:
    tokens = obtain_tokens(api, user)

    logout = api.post(reverse("auth-logout"), {"refresh": tokens["refresh"]})
    refresh = api.post(reverse("auth-token-refresh"), {"refresh": tokens["refresh"]})

    assert logout.status_code == 200
    assert refresh.status_code == 401


def test_me_requires_authentication(api: APIClient) -> None:
    response = api.get(reverse("users-me"))

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE


def test_me_answers_what_its_documented_serializer_would_without_running_it(
    api: APIClient, user: User, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TIME_ZONE = "Europe/Oslo"
    documented = JSONRenderer().render(serializers.UserSerializer(user).data)
    api.force_authenticate(user)

    def unused(*args: object) -> None:
        raise AssertionError("users/me/ ran its serializer")

    monkeypatch.setattr(serializers.UserSerializer, "to_representation", unused)

    assert api.get(reverse("users-me")).content == documented


def test_me_is_private_and_not_stored(api: APIClient, user: User) -> None:
    # The profile of whoever asked: no shared cache may keep it, no browser may keep it on disk.
    api.force_authenticate(user)

    assert api.get(reverse("users-me"))["Cache-Control"] == PRIVATE_NO_STORE
    assert api.patch(reverse("users-me"), {"full_name": "Ann"})["Cache-Control"] == PRIVATE_NO_STORE


def test_me_updates_only_the_requesting_user(api: APIClient, user: User) -> None:
    other = UserFactory.create(full_name="Other")
    api.force_authenticate(user)

    response = api.patch(reverse("users-me"), {"full_name": "New Name", "id": str(other.pk)})

    assert response.status_code == 200
    assert response.json()["full_name"] == "New Name"
    assert User.objects.get(pk=user.pk).full_name == "New Name"
    assert User.objects.get(pk=other.pk).full_name == "Other"


def test_patching_me_with_a_new_email_points_at_the_confirmation(api: APIClient, user: User) -> None:
    original = user.email
    api.force_authenticate(user)

    response = api.patch(reverse("users-me"), {"email": "new@example.com", "full_name": "Renamed"})

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "email", "message": MSG_EMAIL_CHANGE_ELSEWHERE, "code": "invalid"}]
    assert User.objects.get(pk=user.pk).email == original


@pytest.mark.parametrize(
    ("password", "message"),
    [(None, "This field is required."), ("wrong-horse-battery-staple", MSG_CONFIRM_EMAIL_CHANGE)],
)
def test_changing_the_email_needs_the_current_password(
    api: APIClient, user: User, password: str | None, message: str, django_capture_on_commit_callbacks
) -> None:
    # Given a client holding only the user's access token
    api.force_authenticate(user)
    body = {"email": "taken-over@example.com"} | ({} if password is None else {"current_password": password})

    # When it asks for a new login email without the right password
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("users-me-email"), body)

    # Then it is refused, naming the missing proof, and no link goes out
    assert response.status_code == 400
    assert [(error["field"], error["message"]) for error in response.json()["errors"]] == [
        ("current_password", message)
    ]
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("asked", "stored"), [("New@Example.com", "new@example.com"), (LONG_IDN_EMAIL, LONG_IDN_EMAIL)]
)
def test_the_email_changes_once_the_new_address_confirms_it(
    api: APIClient, user: User, settings, django_capture_on_commit_callbacks, asked: str, stored: str
) -> None:
    settings.EMAIL_CHANGE_URL = "https://app.example.com/change?uid={uid}&token={token}"
    original = user.email
    api.force_authenticate(user)

    # Given a request for a new address, with the password
    with django_capture_on_commit_callbacks(execute=True):
        asked_response = api.post(reverse("users-me-email"), {"email": asked, "current_password": DEFAULT_PASSWORD})
    assert asked_response.status_code == 202
    assert asked_response.json() == {"detail": MSG_EMAIL_CHANGE_REQUESTED}
    assert api.get(reverse("users-me")).json()["email"] == original

    # When the link mailed to the new address is followed (no session needed)
    [link_mail] = mail.outbox
    assert link_mail.to == [stored]
    api.force_authenticate(None)
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = api.post(reverse("auth-email-change-confirm"), link_in(link_mail))

    # Then the account logs in with it, and the old address has been told
    assert confirmed.status_code == 204
    login = api.post(reverse("auth-token"), {"email": stored, "password": DEFAULT_PASSWORD})
    assert login.status_code == 200
    assert mail.outbox[-1].to == [original]


def test_asking_for_a_taken_address_answers_the_same_and_sends_nothing(
    api: APIClient, user: User, django_capture_on_commit_callbacks
) -> None:
    other = UserFactory.create()
    api.force_authenticate(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("users-me-email"), {"email": other.email, "current_password": DEFAULT_PASSWORD})

    assert response.status_code == 202
    assert response.json() == {"detail": MSG_EMAIL_CHANGE_REQUESTED}
    assert mail.outbox == []


def test_a_bad_email_change_link_is_a_token_error(api: APIClient) -> None:
    response = api.post(reverse("auth-email-change-confirm"), {"uid": "bm9ib2R5", "token": "forged"})

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response.json()["errors"] == [
        {"field": "token", "message": MSG_EMAIL_CHANGE_LINK_INVALID, "code": "invalid"}
    ]


def test_the_name_and_the_same_email_need_no_password(api: APIClient, user: User) -> None:
    api.force_authenticate(user)

    response = api.patch(reverse("users-me"), {"email": user.email.upper(), "full_name": "Renamed"})

    assert response.status_code == 200
    assert User.objects.get(pk=user.pk).full_name == "Renamed"


def test_inactive_user_cannot_obtain_tokens(api: APIClient) -> None:
    user = UserFactory.create(is_active=False)

    response = api.post(reverse("auth-token"), {"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 401


# --- password reset ---------------------------------------------------------------


@pytest.fixture
def ask_for_reset(api: APIClient, settings, django_capture_on_commit_callbacks):
    settings.PASSWORD_RESET_URL = "https://app.example.com/reset?uid={uid}&token={token}"

    def ask(email: str):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post(reverse("auth-password-reset"), {"email": email})

    return ask


def test_asking_for_a_reset_answers_the_same_whether_or_not_the_account_exists(user: User, ask_for_reset) -> None:
    known = ask_for_reset(user.email)
    unknown = ask_for_reset("nobody@example.com")

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json() == {"detail": MSG_RESET_REQUESTED}
    assert [message.to for message in mail.outbox] == [[user.email]]


def test_a_reset_sets_the_password_and_ends_every_earlier_session(api: APIClient, user: User, ask_for_reset) -> None:
    # Given a session from before, and a reset link
    tokens = obtain_tokens(api, user)
    ask_for_reset(user.email)

    # When the link is used with a new password
    link = link_in(mail.outbox[0])
    confirmed = api.post(reverse("auth-password-reset-confirm"), {**link, "password": STRONG_PASSWORD})

    # Then the new password logs in, and the old session's tokens are dead
    assert confirmed.status_code == 204
    login = api.post(reverse("auth-token"), {"email": user.email, "password": STRONG_PASSWORD})
    assert login.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api.get(reverse("users-me")).status_code == 401


def test_a_bad_reset_link_is_a_token_error(api: APIClient, user: User) -> None:
    response = api.post(
        reverse("auth-password-reset-confirm"), {"uid": "bm9ib2R5", "token": "1-forged", "password": STRONG_PASSWORD}
    )

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response.json()["errors"] == [{"field": "token", "message": MSG_RESET_LINK_INVALID, "code": "invalid"}]


def test_asking_for_a_reset_needs_an_email(api: APIClient) -> None:
    response = api.post(reverse("auth-password-reset"), {"email": "not an address"})

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["email"]
