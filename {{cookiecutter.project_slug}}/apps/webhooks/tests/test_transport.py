import ipaddress
import socket

import pytest

from apps.webhooks import transport
from apps.webhooks.errors import UnsafeDestination

REFUSED = [
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # cloud instance metadata
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "0.0.0.0",  # noqa: S104 -- a literal under test, nothing binds to it
    "224.0.0.1",
    "240.0.0.1",
    "127.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "2002:a00:1::",  # 6to4 of 10.0.0.1
]


@pytest.mark.parametrize("address", REFUSED)
def test_private_and_special_addresses_are_refused(address: str) -> None:
    assert not transport.address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert transport.address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_loopback_is_allowed_only_when_asked_for(address: str) -> None:
    assert transport.address_allowed(ipaddress.ip_address(address), allow_loopback=True)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "http:///path", "https://user:pass@example.com/", "http://example.com:99999/"]
)
def test_urls_that_are_not_plain_http_are_refused(url: str) -> None:
    with pytest.raises(UnsafeDestination):
        transport.url_check(url)


def test_a_name_with_any_private_address_is_refused_before_connecting(monkeypatch) -> None:
    # What DNS answers for a name that mixes a public and a private address (or rebinds to one).
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, 443)) for ip in ("93.184.215.14", "10.1.2.3")]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answers)
    monkeypatch.setattr(socket, "create_connection", lambda *args, **kwargs: pytest.fail("connected"))

    with pytest.raises(UnsafeDestination, match=r"10\.1\.2\.3"):
        transport.destination_resolve("https://mixed.example.com/hook")


def test_the_connection_goes_to_the_vetted_address_not_to_the_name_again(monkeypatch) -> None:
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 80))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answers)
    destination = transport.destination_resolve("http://rebinding.example.com/hook?x=1")
    # The name now resolves to a private address: it must not matter any more.
    rebound = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", 80))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: rebound)
    connected_to = []

    def create_connection(address, timeout=None):
        connected_to.append(address)
        raise ConnectionRefusedError

    monkeypatch.setattr(socket, "create_connection", create_connection)

    with pytest.raises(ConnectionRefusedError):
        transport.destination_post(destination, body=b"{}", headers={}, timeout=1)

    assert (destination.host, destination.target) == ("rebinding.example.com", "/hook?x=1")
    assert connected_to == [("93.184.215.14", 80)]
