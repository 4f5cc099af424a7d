import csv
import io
import urllib.request

import pytest
import yaml
from django.core.files.storage import Storage
from django.core.management import call_command
from rest_framework.test import APIClient

from apps.api.exceptions import PROBLEM_CONTENT_TYPE
from apps.orders.exports.services import CSV_HEADER, MSG_STORAGE_DOWN
from apps.orders.exports.tests.factories import OrderExportFactory
from apps.orders.tests.factories import OrderFactory
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EXPORTS = "/api/v1/order-exports/"


@pytest.fixture
def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def download(url: str) -> list[list[str]]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the test server's http URL
        return list(csv.reader(io.StringIO(response.read().decode())))


def test_an_export_is_accepted_built_and_downloaded_by_its_owner(
    api: APIClient, user: User, s3_storage: Storage, django_capture_on_commit_callbacks
) -> None:
    order = OrderFactory.create(customer=user)

    with django_capture_on_commit_callbacks(execute=True):
        accepted = api.post(EXPORTS)

    assert accepted.status_code == 202
    export_id = accepted.json()["id"]
    ready = api.get(f"{EXPORTS}{export_id}/").json()
    assert ready["status"] == "ready"
    assert ready["error"] == ""
    assert "X-Amz-Signature=" in ready["download_url"]
    assert download(ready["download_url"]) == [
        CSV_HEADER,
        [str(order.pk), order.placed_at.isoformat(), "pending", "10.00", "0"],
    ]


def test_a_pending_export_has_no_link(api: APIClient, user: User) -> None:
    export = OrderExportFactory.create(owner=user)

    body = api.get(f"{EXPORTS}{export.pk}/").json()

    assert body["status"] == "pending"
    assert body["download_url"] is None


def test_another_users_export_is_a_404_problem(api: APIClient, s3_storage: Storage) -> None:
    export = OrderExportFactory.create(owner=UserFactory.create(), status="ready", file="order-exports/x/y.csv")

    response = api.get(f"{EXPORTS}{export.pk}/")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert "X-Amz" not in response.content.decode()


def test_a_failed_export_says_why_and_has_no_link(
    api: APIClient, s3_down: None, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        export_id = api.post(EXPORTS).json()["id"]

    body = api.get(f"{EXPORTS}{export_id}/").json()

    assert body["status"] == "failed"
    assert body["error"] == MSG_STORAGE_DOWN
    assert body["download_url"] is None


def test_exports_need_a_login() -> None:
    client = APIClient()

    assert client.post(EXPORTS).status_code == 401
    assert client.get(f"{EXPORTS}00000000-0000-0000-0000-000000000000/").status_code == 401


def test_the_schema_documents_an_accepted_export_and_its_link(tmp_path) -> None:
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = yaml.safe_load(target.read_text())
    create = schema["paths"][EXPORTS]["post"]
    assert "requestBody" not in create
    assert set(create["responses"]) >= {"202", "401"}
    assert "404" in schema["paths"][EXPORTS + "{id}/"]["get"]["responses"]
    export = schema["components"]["schemas"]["OrderExport"]["properties"]
    assert export["download_url"]["nullable"] is True
    # The orders' status enum keeps its name beside the exports' one.
    assert schema["components"]["schemas"]["StatusEnum"]["enum"] == ["pending", "paid", "cancelled"]
