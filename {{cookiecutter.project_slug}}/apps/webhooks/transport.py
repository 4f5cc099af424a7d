"""POSTing to a customer's URL without letting the URL reach into our own network.

A webhook URL is chosen by a customer, so it is hostile input that makes this server
send requests (server-side request forgery): http://169.254.169.254/ reads a cloud
instance's credentials, http://10.0.0.5:6379/ talks to an internal Redis. So:

- the host is resolved first, and every address it resolves to must be public: not
  private, loopback, link-local, multicast, reserved, unspecified or shared (CGNAT),
  IPv4 or IPv6, with IPv4 inside IPv6 (::ffff:10.0.0.1, 6to4, Teredo) unwrapped;
- the connection goes to the address that was checked, not to the name again: a DNS
  answer that changes between the check and the connection (DNS rebinding) cannot
  swap in a private address; TLS still verifies the certificate for the name;
- redirects are never followed: a 3xx is a failed delivery, so no Location header
  can point the request anywhere the check did not see.
"""

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from apps.webhooks.errors import UnsafeDestination

DEFAULT_PORTS = {"http": 80, "https": 443}
# Only the status matters; a huge or endless answer must not hold the worker.
MAX_RESPONSE_BYTES = 64 * 1024
MSG_BAD_URL = "Use an http or https URL with a host name and no credentials."
MSG_UNRESOLVED = "The host {host!r} does not resolve."
MSG_NOT_PUBLIC = "The host {host!r} resolves to {address}, which is not a public address."

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent in the request line
    address: str  # the vetted address the connection goes to


def _embedded_ipv4(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address):
        teredo = address.teredo
        return address.ipv4_mapped or address.sixtofour or (teredo[1] if teredo else None) or address
    return address


def address_allowed(address: IPAddress, *, allow_loopback: bool = False) -> bool:
    """Whether a delivery may connect to ``address``: public unicast only (loopback on request, for tests)."""
    address = _embedded_ipv4(address)
    if address.is_loopback:
        return allow_loopback
    # is_global is False for private, link-local, reserved, unspecified and shared (100.64/10) ranges.
    return address.is_global and not address.is_multicast


def literal_address(host: str) -> IPAddress | None:
    """The address a host that is written as one stands for (``[::1]`` or ``10.0.0.1``), else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def url_check(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL deliveries may use, without resolving it; raise UnsafeDestination."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeDestination(MSG_BAD_URL) from error
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.username or parts.password:
        raise UnsafeDestination(MSG_BAD_URL)
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def destination_resolve(url: str, *, allow_loopback: bool = False) -> Destination:
    """Resolve ``url``'s host and vet every address it has; raise UnsafeDestination before any connection."""
    scheme, host, port = url_check(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise UnsafeDestination(MSG_UNRESOLVED.format(host=host)) from error
    # A scoped IPv6 address ("fe80::1%eth0") names its interface after the %.
    addresses = [ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in infos]
    if not addresses:
        raise UnsafeDestination(MSG_UNRESOLVED.format(host=host))
    # All of them: a name with one public and one private address would reach the private one by chance.
    for address in addresses:
        if not address_allowed(address, allow_loopback=allow_loopback):
            raise UnsafeDestination(MSG_NOT_PUBLIC.format(host=host, address=address))
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(scheme, host, port, target, str(addresses[0]))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Sends Host: <name> but connects to the vetted address."""

    def __init__(self, destination: Destination, timeout: float) -> None:
        super().__init__(destination.host, destination.port, timeout=timeout)
        self.address = destination.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, with TLS verified against the host name (SNI and certificate), not the address."""

    def __init__(self, destination: Destination, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(destination.host, destination.port, timeout=timeout, context=self.tls)
        self.address = destination.address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


def destination_post(destination: Destination, *, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` to the vetted destination; return the status code. Redirects are not followed."""
    connection_class = _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(destination, timeout)
    try:
        connection.request("POST", destination.target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return response.status
    finally:
        connection.close()
