"""Which links URL ingest may fetch: the bad-input list from the issue, each with a clear reason."""

from __future__ import annotations

import pytest

from clipper.urls import AddressPolicy, UrlRefused, check_url, parse_ip, refused_reason


@pytest.mark.parametrize(("url", "message"), [
    ("file:///etc/passwd", "not 'file:' links"),
    ("ftp://example.org/video.mp4", "not 'ftp:' links"),
    ("data:video/mp4;base64,AAAA", "not 'data:' links"),
    ("javascript:alert(1)", "not 'javascript:' links"),
    ("example.org/video", "without http:// or https://"),
    ("--exec 'rm -rf /'", "starts with '-'"),
    ("-o/tmp/x https://example.org/v", "starts with '-'"),
    ("https://example.org/v --exec touch", "without spaces or options"),
    ("https://example.org/v\n--batch-file=/etc/passwd", "without spaces or options"),
    ("https://user:secret@example.org/v", "user name and password"),
    ("http:///nohost", "no website name"),
    ("", "Paste the link"),
    ("https://example.org/" + "a" * 3000, "too long"),
])
def test_links_that_are_not_plain_http_are_refused_without_looking_them_up(url: str, message: str) -> None:
    with pytest.raises(UrlRefused, match=message):
        check_url(url, resolve=False)


@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1:6379/", "loopback"),
    ("http://localhost/", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://2130706433/", "loopback"),  # 127.0.0.1 as one decimal number
    ("http://0x7f000001/", "loopback"),  # ... and in hex
    ("http://0177.0.0.1/", "loopback"),  # ... and in octal
    ("http://127.1/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),  # IPv4-mapped IPv6
    ("http://[64:ff9b::7f00:1]/", "loopback"),  # NAT64
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("http://[fd00:ec2::254]/", "cloud metadata"),
    ("http://10.0.0.8/", "private network"),
    ("http://192.168.1.1/", "private network"),
    ("http://172.16.0.1/", "private network"),
    ("http://[fc00::1]/", "private network"),
    ("http://169.254.1.1/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://224.0.0.1/", "multicast"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://100.64.0.1/", "reserved"),
    ("http://240.0.0.1/", "reserved"),
])
def test_links_to_our_own_network_are_refused_after_resolving(url: str, reason: str) -> None:
    with pytest.raises(UrlRefused, match=reason) as caught:
        check_url(url)
    assert "public website" in caught.value.message
    assert caught.value.status == 400


def test_public_addresses_pass_and_the_link_is_kept_as_given() -> None:
    assert check_url("  http://8.8.8.8/watch?v=1  ") == "http://8.8.8.8/watch?v=1"
    assert check_url("https://[2001:4860:4860::8888]:8443/v.mp4") == "https://[2001:4860:4860::8888]:8443/v.mp4"


def test_a_name_that_does_not_resolve_says_so() -> None:
    with pytest.raises(UrlRefused, match="Could not find the website no-such-host.invalid"):
        check_url("https://no-such-host.invalid/video")


def test_allowed_hosts_may_be_private_and_only_they() -> None:
    policy = AddressPolicy(("127.0.0.1:6379", "LOCALHOST.:*"))
    assert check_url("http://127.0.0.1:6379/x", policy)
    assert check_url("http://localhost:8080/x", policy)
    with pytest.raises(UrlRefused, match="loopback"):
        check_url("http://[::1]/", policy)
    with pytest.raises(UrlRefused, match="loopback"):
        check_url("http://2130706433/", policy)  # the allowance is for the name as written
    with pytest.raises(UrlRefused, match="not 'file:' links"):
        check_url("file://127.0.0.1/etc/passwd", policy)  # never for another scheme


def test_each_connection_is_checked_by_name_and_address() -> None:
    policy = AddressPolicy(("capture.newsroom.local",))
    policy.check_address("capture.newsroom.local", "10.1.2.3", 443)
    policy.check_address("example.org", "93.184.216.34", 443)
    with pytest.raises(UrlRefused, match=r"example.org \(127.0.0.1\)"):
        policy.check_address("example.org", "127.0.0.1", 443)  # a name that re-resolved to loopback (DNS rebinding)
    with pytest.raises(UrlRefused, match="link-local"):
        policy.check_address("example.org", "fe80::1%eth0", 443)


def test_an_allowance_is_for_a_host_and_its_port() -> None:
    """An allowed capture server's other ports (its Redis, its admin panel) stay out of reach."""
    policy = AddressPolicy(("capture.local:8080", "[fd00::5]:9000", "plain.local"))
    policy.check_address("capture.local", "10.1.2.3", 8080)
    policy.check_address("fd00::5", "fd00::5", 9000)
    policy.check_address("plain.local", "10.1.2.4", 80)  # a bare host: the default web ports only
    policy.check_address("plain.local", "10.1.2.4", 443)
    for host, address, port in (("capture.local", "10.1.2.3", 6379), ("fd00::5", "fd00::5", 22),
                                ("plain.local", "10.1.2.4", 8080)):
        with pytest.raises(UrlRefused, match=f"on port {port}, which is not among the allowed ports"):
            policy.check_address(host, address, port)
    with pytest.raises(UrlRefused, match="loopback"):
        check_url("http://127.0.0.1:6379/", AddressPolicy(("127.0.0.1:8080",)))
    assert check_url("http://127.0.0.1:8080/v.mp4", AddressPolicy(("127.0.0.1:8080",)))


def test_embedded_ipv4_is_judged_by_the_ipv4_address() -> None:
    assert str(parse_ip("::ffff:10.0.0.1")) == "10.0.0.1"
    assert str(parse_ip("2002:7f00:1::")) == "127.0.0.1"  # 6to4
    assert refused_reason(parse_ip("::ffff:8.8.8.8")) == ""
