"""Read the metrics as Prometheus would: through the endpoint, into {(sample name, labels): value}."""

from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

METRICS_TOKEN = "a-token-long-enough-for-tests-0123456789"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: Client) -> Samples:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200, response.status_code
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def grown(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """How much one sample grew between two scrapes (absent counts as 0)."""
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)
