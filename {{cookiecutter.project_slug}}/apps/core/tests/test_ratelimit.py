"""Who a request counts against: X-Forwarded-For is believed only from the trusted proxies."""

from ipaddress import ip_network

import pytest
from django.test import RequestFactory

from apps.core.ratelimit import client_address


@pytest.fixture(autouse=True)
def _one_proxy_on_the_private_network(settings) -> None:
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.0/24"), ip_network("::1/128")]


def address(remote_addr: str, forwarded_for: str | None = None) -> str:
    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr)
    if forwarded_for is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client_address(request)


def test_a_direct_client_is_its_connection_whatever_it_forwards() -> None:
    assert address("203.0.113.7") == "203.0.113.7"
    assert address("203.0.113.7", "198.51.100.9") == "203.0.113.7"
    # Even when it names a trusted proxy.
    assert address("203.0.113.7", "198.51.100.9, 10.0.0.2") == "203.0.113.7"


def test_a_trusted_proxy_is_believed_about_the_address_it_saw() -> None:
    assert address("10.0.0.2", "203.0.113.7") == "203.0.113.7"


def test_entries_left_of_the_first_untrusted_address_were_written_by_the_client() -> None:
    assert address("10.0.0.2", "198.51.100.9, 10.0.0.5, 203.0.113.7") == "203.0.113.7"


def test_a_chain_of_trusted_proxies_is_walked_to_the_client() -> None:
    assert address("10.0.0.2", "198.51.100.9, 203.0.113.7, 10.0.0.5") == "203.0.113.7"


def test_a_request_from_the_proxy_itself_is_the_proxy() -> None:
    assert address("10.0.0.2") == "10.0.0.2"
    assert address("10.0.0.2", " , ") == "10.0.0.2"


def test_what_is_not_an_address_ends_the_walk_at_the_proxy_that_passed_it_on() -> None:
    assert address("10.0.0.2", "203.0.113.7, unknown") == "10.0.0.2"
    assert address("10.0.0.2", "unknown, 10.0.0.5") == "10.0.0.5"


def test_ipv6_and_ipv4_mapped_peers() -> None:
    assert address("::1", "2001:db8::7") == "2001:db8::7"
    # gunicorn listening on [::] reports an IPv4 proxy in this form.
    assert address("::ffff:10.0.0.2", "203.0.113.7") == "203.0.113.7"
    assert address("::ffff:203.0.113.7", "198.51.100.9") == "::ffff:203.0.113.7"
