"""The SSRF guard's policy in plain functions: what an address carries, and whether a webhook may reach it."""

import ipaddress

import pytest

from service.domain.addresses import carried, host_of, literal_address, literal_refusal, parse_networks, refusal

NONE: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()


@pytest.mark.parametrize(
    ("text", "inner"),
    [
        ("8.8.8.8", ["8.8.8.8"]),
        ("::ffff:127.0.0.1", ["127.0.0.1"]),  # mapped
        ("::127.0.0.1", ["127.0.0.1"]),  # compatible
        ("::ffff:0:7f00:1", ["127.0.0.1"]),  # translated
        ("64:ff9b::7f00:1", ["127.0.0.1"]),  # NAT64 well-known
        ("2002:7f00:1::", ["127.0.0.1"]),  # 6to4
        ("2606:4700::1111", ["2606:4700::1111"]),  # carries nothing: judged itself
    ],
)
def test_an_address_is_judged_by_what_it_carries(text: str, inner: list[str]) -> None:
    assert [str(a) for a in carried(ipaddress.ip_address(text))] == inner


def test_local_use_nat64_is_judged_in_both_layouts() -> None:
    both = {str(a) for a in carried(ipaddress.ip_address("64:ff9b:1::7f00:1"))}
    assert "127.0.0.1" in both and len(both) == 2


@pytest.mark.parametrize("text", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "fe80::1", "fd00:ec2::254",
                                  "::127.0.0.1", "64:ff9b:1::7f00:1", "224.0.0.1", "ff02::1", "0.0.0.0"])  # fmt: skip
def test_private_loopback_link_local_multicast_and_reserved_are_refused(text: str) -> None:
    address = ipaddress.ip_address(text)
    why = refusal(address, NONE)
    assert why is not None and why.startswith(str(address))


@pytest.mark.parametrize("text", ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808"])
def test_public_addresses_pass(text: str) -> None:
    assert refusal(ipaddress.ip_address(text), NONE) is None


def test_an_allowed_cidr_lets_its_addresses_through_whatever_their_spelling() -> None:
    allowed = parse_networks(["127.0.0.0/8"])
    assert refusal(ipaddress.ip_address("127.0.0.1"), allowed) is None
    assert refusal(ipaddress.ip_address("::ffff:127.0.0.1"), allowed) is None
    assert refusal(ipaddress.ip_address("10.0.0.1"), allowed) is not None


def test_a_bad_cidr_is_named() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33' is not a CIDR"):
        parse_networks(["10.0.0.0/8", "10.0.0.0/33"])


@pytest.mark.parametrize(("host", "address"), [("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
                                               ("0177.0.0.1", "127.0.0.1"), ("127.1", "127.0.0.1"),
                                               ("fe80::1%eth0", "fe80::1"), ("example.com", None), ("1.2.3.4.5", None),
                                               ("", None)])  # fmt: skip
def test_odd_numeric_hosts_are_read_as_the_address_they_denote(host: str, address: str | None) -> None:
    found = literal_address(host)
    assert (None if found is None else str(found)) == address


def test_a_url_with_a_blocked_literal_is_refused_and_a_name_is_left_to_delivery() -> None:
    assert host_of("http://[::1]:8080/hook") == "::1"
    assert literal_refusal("http://0x7f.1/hook", NONE) is not None
    assert literal_refusal("https://hooks.example.com/x", NONE) is None
