import pytest
from django.utils import timezone

from apps.core.tests.testapp.models import Note

pytestmark = pytest.mark.django_db


def test_delete_hides_the_row_but_keeps_it() -> None:
    note = Note.objects.create(text="draft")

    note.delete()

    assert note.is_deleted
    assert not Note.objects.filter(pk=note.pk).exists()
    assert Note.all_objects.get(pk=note.pk).deleted_at is not None


def test_soft_delete_twice_keeps_the_first_timestamp() -> None:
    note = Note.objects.create(text="draft")
    note.soft_delete()
    first = Note.all_objects.get(pk=note.pk).deleted_at

    note.soft_delete()

    assert Note.all_objects.get(pk=note.pk).deleted_at == first


def test_restore_brings_the_row_back() -> None:
    note = Note.objects.create(text="draft")
    note.soft_delete()

    note.restore()

    assert Note.objects.get(pk=note.pk).is_deleted is False


def test_queryset_delete_is_soft_and_counts_only_live_rows() -> None:
    Note.objects.create(text="a")
    Note.objects.create(text="b")
    Note.objects.create(text="c").soft_delete()

    count, per_model = Note.objects.all().delete()

    assert count == 2
    assert per_model == {"core_testapp.Note": 2}
    assert Note.objects.count() == 0
    assert Note.all_objects.count() == 3
    assert Note.all_objects.dead().count() == 3


def test_hard_delete_removes_rows_for_good() -> None:
    kept = Note.objects.create(text="kept")
    gone = Note.objects.create(text="gone")
    gone.soft_delete()

    gone.hard_delete()
    Note.all_objects.filter(pk=kept.pk).hard_delete()

    assert Note.all_objects.count() == 0


def test_all_objects_sees_live_and_deleted_rows() -> None:
    live = Note.objects.create(text="live")
    dead = Note.objects.create(text="dead")
    dead.soft_delete()

    assert set(Note.all_objects.alive()) == {live}
    assert set(Note.all_objects.dead()) == {dead}


def test_timestamps_and_uuid_key() -> None:
    before = timezone.now()

    note = Note.objects.create(text="x")

    assert note.pk.version == 4
    assert before <= note.created_at <= note.updated_at
