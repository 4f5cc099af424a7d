import pytest
from django.core.cache import cache
from django.test import Client

from apps.observability.tests.metrics_scrape import METRICS_TOKEN, grown, scrape


@pytest.fixture(autouse=True)
def _metrics_token(settings) -> None:
    settings.METRICS_TOKEN = METRICS_TOKEN


def test_requests_are_counted_by_route_method_and_status(db: None, client: Client) -> None:
    before = scrape(client)

    client.get("/healthz")
    client.get("/healthz")
    client.get("/admin/login/")
    client.post("/readyz")
    after = scrape(client)

    def served(route: str, method: str, status: str) -> float:
        labels = {"route": route, "method": method, "status": status}
        return grown(before, after, "http_request_duration_seconds_count", **labels)

    assert served("healthz", "GET", "200") == 2
    assert served("admin:login", "GET", "200") == 1
    assert served("readyz", "POST", "405") == 1


def test_an_unknown_path_is_one_label_never_the_path_itself(db: None, client: Client) -> None:
    before = scrape(client)

    client.get("/no/such/page/12345")
    after = scrape(client)

    assert grown(before, after, "http_request_duration_seconds_count", route="<unmatched>", method="GET", status="404")
    assert not any("12345" in value for _, labels in after for _, value in labels)


def test_an_invented_method_is_labelled_other(db: None, client: Client) -> None:
    before = scrape(client)

    client.generic("BREW", "/healthz")
    after = scrape(client)

    assert grown(before, after, "http_request_duration_seconds_count", route="healthz", method="other", status="405")


def test_the_queries_of_each_request_are_counted_and_timed(db: None, client: Client) -> None:
    before = scrape(client)

    client.get("/readyz")  # one query: the database check's SELECT 1
    client.get("/healthz")  # none
    after = scrape(client)

    assert grown(before, after, "http_request_db_queries_count", route="readyz") == 1
    assert grown(before, after, "http_request_db_queries_sum", route="readyz") == 1
    assert grown(before, after, "http_request_db_duration_seconds_sum", route="readyz") > 0
    # The liveness probe touches no database by design: only its latency is recorded.
    assert grown(before, after, "http_request_duration_seconds_count", route="healthz", method="GET", status="200")
    assert grown(before, after, "http_request_db_queries_count", route="healthz") == 0


def test_cache_hits_and_misses_are_counted(client: Client) -> None:
    cache.set("present", None)  # a stored None is a hit, not a miss
    before = scrape(client)

    assert cache.get("present", "default") is None
    assert cache.get("absent", "default") == "default"
    assert cache.get_many(["present", "absent", "also-absent"]) == {"present": None}
    after = scrape(client)

    assert grown(before, after, "cache_gets_total", result="hit") == 2
    assert grown(before, after, "cache_gets_total", result="miss") == 3


def test_the_endpoint_does_not_exist_without_a_token(client: Client, settings) -> None:
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer wrong-token", f"Basic {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x"],
)
def test_the_endpoint_refuses_a_caller_without_the_token(client: Client, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"http_request" not in response.content


def test_prometheus_scrapes_a_container_by_its_address_over_plain_http(client: Client, settings) -> None:
    settings.ALLOWED_HOSTS = ["example.com"]
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/metrics", headers={"Host": "10.0.3.7:8000", "Authorization": f"Bearer {METRICS_TOKEN}"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"http_request_duration_seconds" in response.content
