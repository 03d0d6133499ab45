"""Which links URL ingest may fetch: http(s) only, and never our own network.

``check_url(url, policy)`` is called by the API before a recording is created and again by the
ingest job; ``AddressPolicy.check_address`` is called for every connection yt-dlp opens (redirects,
HLS/DASH fragments), so a name that resolves to a public address at check time and to 127.0.0.1 a
second later is still refused. Entries of ``allowed_hosts`` (the ``url_allowed_hosts`` setting:
tests, a newsroom's own capture server) may resolve to private or loopback addresses; nothing else may.
An entry names a host AND its port - ``capture.local:8080`` - because a redirect to another port of
an allowed host (its Redis, its admin panel) must not be followed; a bare ``host`` means the default
web ports (80, 443) only, and ``host:*`` any port (for tests with servers on random ports).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from clipper.errors import InvalidInput

MAX_URL_LENGTH = 2048
SCHEMES = ("http", "https")

# Cloud metadata services: named so the message can say what the address is. Most are also in
# link-local or private ranges, which are refused anyway.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "169.254.169.123", "fd00:ec2::254", "100.100.100.200", "192.0.0.192",
))

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefused(InvalidInput):
    """A link URL ingest will not fetch; the message says why, for a volunteer."""


DEFAULT_PORTS = frozenset({80, 443})
ANY_PORT = "*"


@dataclass(frozen=True)
class AddressPolicy:
    """``host[:port]`` entries (host as written in the URL) that may resolve to non-public addresses."""

    allowed_hosts: tuple[str, ...] = ()

    def allows_any_address(self, host: str, port: int) -> bool:
        wanted = _normal_host(host)
        for entry in self.allowed_hosts:
            entry_host, ports = _allowance(entry)
            if entry_host == wanted and (ports is None or port in ports):
                return True
        return False

    def check_address(self, host: str, address: str, port: int) -> None:
        """Raise ``UrlRefused`` unless ``host`` may be reached at ``address`` (an IP string) on ``port``."""
        if self.allows_any_address(host, port):
            return
        ip = parse_ip(address)
        reason = refused_reason(ip)
        if reason:
            shown = host if _normal_host(host) == _normal_host(str(ip)) else f"{host} ({ip})"
            if any(_allowance(entry)[0] == _normal_host(host) for entry in self.allowed_hosts):
                shown = f"{shown} on port {port}, which is not among the allowed ports of that host"
            raise UrlRefused(f"Clipper does not fetch links to {reason}: {shown}. Use a link to a public website.")


def check_url(url: str, policy: AddressPolicy | None = None, *, resolve: bool = True) -> str:
    """Return ``url`` stripped of surrounding spaces if URL ingest may fetch it; else raise ``UrlRefused``.

    Checks the shape (http/https, a host, no options or spaces), then resolves the host and checks
    every address it resolves to.
    """
    policy = policy or AddressPolicy()
    url = check_shape(url)
    if resolve:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        for address in resolve_host(host, port):
            policy.check_address(host, address, port)
    return url


def check_shape(url: object) -> str:
    """The checks that need no network: a single http(s) link with a host, nothing else."""
    if not isinstance(url, str) or not url.strip():
        raise UrlRefused("Paste the link to the video (starting with https://).")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"The link is too long (over {MAX_URL_LENGTH} characters).")
    if url.startswith("-"):
        raise UrlRefused("That is not a link: it starts with '-'. Paste only the video's address, without options.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise UrlRefused("Paste one link only, without spaces or options after it.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UrlRefused("That link is not a valid web address.") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        shown = f"'{scheme}:' links" if scheme else "links without http:// or https://"
        raise UrlRefused(f"Clipper only fetches web links (http:// or https://), not {shown}.")
    if not parts.hostname:
        raise UrlRefused("That link has no website name in it.")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("Remove the user name and password from the link.")
    if port == 0:
        raise UrlRefused("That link is not a valid web address.")
    return url


def resolve_host(host: str, port: int = 80) -> list[str]:
    """Every address ``host`` resolves to (literal IPs in any spelling included: ``2130706433``, ``0x7f000001``)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise UrlRefused(f"Could not find the website {host}: check the link for typos.") from None
    addresses = sorted({str(info[4][0]) for info in infos})
    if not addresses:
        raise UrlRefused(f"Could not find the website {host}: check the link for typos.")
    return addresses


def parse_ip(address: str) -> Address:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
    if isinstance(ip, ipaddress.IPv6Address):
        for embedded in (ip.ipv4_mapped, _nat64(ip), ip.sixtofour, ip.teredo[1] if ip.teredo else None):
            if embedded is not None:
                return embedded
    return ip


def refused_reason(ip: Address) -> str:
    """Why ``ip`` is not a public internet address, in words; "" when it is."""
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata service"
    if ip.is_loopback:
        return "this machine (a loopback address)"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private network address"
    if not ip.is_global:
        return "a reserved address"
    return ""


def _nat64(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _allowance(entry: str) -> tuple[str, frozenset[int] | None]:
    """``(host, ports)`` of one allowed-hosts entry; ports None means any (``host:*``)."""
    entry = entry.strip()
    host, port = entry, ""
    if entry.startswith("["):  # [::1]:8080
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif entry.count(":") == 1:  # host:8080 (a bare IPv6 address has several colons)
        host, _, port = entry.partition(":")
    if port == ANY_PORT:
        return _normal_host(host), None
    if port.isdigit():
        return _normal_host(host), frozenset({int(port)})
    return _normal_host(host), DEFAULT_PORTS


def _normal_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()
