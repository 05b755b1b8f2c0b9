"""Which network addresses a webhook may reach (the SSRF guard's policy); pure functions, no I/O.

An address is refused unless it is globally routable unicast, or inside a CIDR the operator allowed.
IPv6 forms that carry an IPv4 address (mapped, compatible, translated, NAT64 well-known and
local-use, 6to4, Teredo) are judged by every IPv4 address they may carry, and hosts
written in the odd numeric forms a URL parser or `inet_aton` accepts (`2130706433`, `0x7f.1`,
`0177.0.0.1`, `127.1`) are read as the address they denote.
"""

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: any RFC 6052 layout; /48 and /96 are judged
_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible ::a.b.c.d (and :: and ::1 themselves)
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # SIIT IPv4-translated ::ffff:0:a.b.c.d
_METADATA_V6 = ipaddress.ip_address("fd00:ec2::254")  # AWS IMDS over IPv6 (also caught as unique-local)


def parse_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """The allow-list as networks; ValueError naming the entry that is not a CIDR."""
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            raise ValueError(f"{cidr!r} is not a CIDR such as 127.0.0.0/8") from None
    return tuple(networks)


def host_of(url: str) -> str:
    """The host of an absolute URL, without IPv6 brackets (lowercased, as URL parsers do)."""
    return (urlsplit(url).hostname or "").rstrip(".")


def parse_address(text: str) -> IPAddress:
    """An address from its canonical text (an IPv6 zone suffix is dropped); ValueError otherwise."""
    return ipaddress.ip_address(text.split("%", 1)[0])


def literal_address(host: str) -> IPAddress | None:
    """The address `host` denotes when it is an IP literal in any accepted form, else None (a name)."""
    try:
        return parse_address(host)
    except ValueError:
        pass
    if host and all(part and _is_number(part) for part in host.split(".")):
        try:  # inet_aton reads the legacy forms: one to four parts, decimal, octal or hex
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _is_number(part: str) -> bool:
    lowered = part.lower()
    if lowered.startswith("0x"):
        return all(c in "0123456789abcdef" for c in lowered[2:])
    return part.isascii() and part.isdigit()


def carried(address: IPAddress) -> tuple[IPAddress, ...]:
    """The IPv4 addresses an IPv6 address may carry (each judged), or the address itself when it carries none."""
    if isinstance(address, ipaddress.IPv4Address):
        return (address,)
    low = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        return (address.ipv4_mapped,)
    if address in _NAT64 or address in _TRANSLATED or (address in _COMPATIBLE and int(address) > 1):
        return (low,)
    if address in _NAT64_LOCAL:  # the /96 layout (low 32 bits) and the /48 one (bits 48-63 and 72-87)
        value = int(address)
        return low, ipaddress.IPv4Address((((value >> 64) & 0xFFFF) << 16) | ((value >> 40) & 0xFFFF))
    if address.sixtofour is not None:
        return (address.sixtofour,)
    if address.teredo is not None:
        return address.teredo  # (server, client)
    return (address,)


def refusal(address: IPAddress, allowed: tuple[Network, ...]) -> str | None:
    """Why a webhook may not connect to `address` (None when it may)."""
    inner = carried(address)
    if any(address in net or all(a in net for a in inner) for net in allowed):
        return None
    if address == _METADATA_V6 or address.is_multicast or any(not a.is_global or a.is_multicast for a in inner):
        return f"{address} is a private, loopback, link-local, multicast or reserved address"
    return None


def literal_refusal(url: str, allowed: tuple[Network, ...]) -> str | None:
    """Why `url` is refused outright because its host is a blocked IP literal (names are checked at delivery)."""
    address = literal_address(host_of(url))
    return None if address is None else refusal(address, allowed)
