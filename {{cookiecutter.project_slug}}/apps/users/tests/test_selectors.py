import uuid

import pytest

from apps.users.selectors import user_can_authenticate, user_get, user_get_by_email, user_list, user_stats
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_user_list_hides_inactive_users_by_default() -> None:
    active = UserFactory.create(email="b@example.com")
    UserFactory.create(email="a@example.com", is_active=False)

    assert list(user_list()) == [active]
    assert [u.email for u in user_list(is_active=None)] == ["a@example.com", "b@example.com"]
    assert [u.email for u in user_list(is_active=False)] == ["a@example.com"]


def test_user_list_searches_email_and_name() -> None:
    UserFactory.create(email="ann@example.com", full_name="Ann Lee")
    UserFactory.create(email="bob@example.com", full_name="Bob Stone")

    assert [u.email for u in user_list(search="STONE")] == ["bob@example.com"]
    assert [u.email for u in user_list(search="ann@")] == ["ann@example.com"]


def test_user_list_is_one_query(django_assert_num_queries) -> None:
    UserFactory.create_batch(3)

    with django_assert_num_queries(1):
        assert len(list(user_list())) == 3


def test_user_get_finds_by_id_and_tolerates_garbage() -> None:
    user = UserFactory.create()

    assert user_get(user_id=user.pk) == user
    assert user_get(user_id=str(user.pk)) == user
    assert user_get(user_id=uuid.uuid4()) is None
    assert user_get(user_id="not-a-uuid") is None


def test_user_get_by_email_ignores_case() -> None:
    user = UserFactory.create(email="ann@example.com")

    assert user_get_by_email(email=" ANN@example.com") == user
    assert user_get_by_email(email="nobody@example.com") is None


def test_user_stats_counts_and_is_served_from_cache(django_assert_num_queries) -> None:
    UserFactory.create(is_staff=True)
    UserFactory.create(is_active=False)

    with django_assert_num_queries(1):
        first = user_stats()
    with django_assert_num_queries(0):
        second = user_stats()

    assert first == second == {"total": 2, "active": 1, "staff": 1}


def test_user_stats_is_stale_until_a_service_clears_it() -> None:
    user_stats()
    UserFactory.create()

    assert user_stats()["total"] == 0


def test_only_active_verified_accounts_authenticate() -> None:
    assert user_can_authenticate(UserFactory.build())
    assert not user_can_authenticate(UserFactory.build(is_active=False))
    assert not user_can_authenticate(UserFactory.build(email_verified_at=None))
    assert not user_can_authenticate(None)
