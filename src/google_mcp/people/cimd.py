"""Client ID Metadata Documents: a client whose id is an https URL is described by the JSON found there.

Fetching it is a request the server makes on a stranger's say-so, so it is fenced: the name is resolved
once and the connection goes to the address that was checked (a second lookup could answer otherwise: DNS
rebinding), every special-purpose address is refused (the IANA registries, and any v6 form that carries
a v4 address), TLS is still checked against the name, nothing is followed elsewhere, the document is
small, and the whole fetch has one deadline (a host dripping a byte at a time cannot hold /authorize).
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import anyio

if TYPE_CHECKING:
    import ssl

CIMD_MAX_BYTES = 16 * 1024

Resolve = Callable[[str, int], Awaitable[list[str]]]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# The IANA special-purpose address registries (IPv4 and IPv6), whole: none of them is where a client
# publishes its metadata, and several reach into the server's own network or a cloud's metadata service.
SPECIAL = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # this network
        "10.0.0.0/8",  # private (RFC 1918)
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598), where some clouds keep metadata services
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, incl. 169.254.169.254 metadata
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.31.196.0/24",  # AS112
        "192.52.193.0/24",  # AMT
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",  # private
        "192.175.48.0/24",  # AS112 direct delegation
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255 broadcast
        "::/128",  # unspecified
        "::1/128",  # loopback
        "::/96",  # IPv4-compatible (deprecated)
        "::ffff:0:0/96",  # IPv4-mapped
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",  # local NAT64
        "100::/64",  # discard
        "100:0:0:1::/64",  # dummy prefix
        "2001::/23",  # IETF protocol assignments: Teredo, benchmarking, ORCHID …
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4
        "2620:4f:8000::/48",  # AS112
        "3fff::/20",  # documentation
        "5f00::/16",  # SRv6 SIDs
        "fc00::/7",  # unique-local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
]


def refused_address(address: str) -> str | None:
    """Why a document may not be fetched from `address`, or None when it is an ordinary public address."""
    ip: IPAddress = ipaddress.ip_address(address.split("%")[0])
    carried = _carried_v4(ip)
    if carried is not None and refused_address(str(carried)) is not None:
        return f"{address} carries the special-purpose address {carried}"
    if any(ip.version == net.version and ip in net for net in SPECIAL):
        return f"{address} is a special-purpose address"
    if not ip.is_global or ip.is_multicast or ip.is_reserved:  # anything the registries add later
        return f"{address} is not a public address"
    return None


def _carried_v4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The v4 address inside a mapped, compatible, NAT64, 6to4 or Teredo v6 address."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    packed = ip.packed
    if packed[:12] == bytes(12) or packed[:12] == bytes.fromhex("0064ff9b0000000000000000"):
        return ipaddress.IPv4Address(packed[12:])
    return None


def pick_address(host: str, addresses: list[str], private: bool) -> str:
    """The address to connect to: the first answer, once every answer is public (unless `private`)."""
    if not addresses:
        raise ValueError(f"{host} has no address")
    if not private:  # no fetches into the server's own network on a stranger's say-so
        for address in addresses:  # every answer checked: a mix is how a name points inward
            reason = refused_address(address)
            if reason is not None:
                raise ValueError(f"{host}: {reason}; not a public address")
    return addresses[0].split("%")[0]


async def getaddrinfo(host: str, port: int) -> list[str]:
    """The system resolver's addresses for `host`, in its order."""
    import anyio.to_thread

    found = await anyio.to_thread.run_sync(
        lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    )
    return [str(sockaddr[0]) for *_, sockaddr in found]


async def fetch_client_document(
    url: str,
    seconds: float,
    private: bool,
    resolve: Resolve = getaddrinfo,
    verify: ssl.SSLContext | None = None,
) -> dict[str, Any]:
    """A Client ID Metadata Document, checked (else ValueError): https with a path, fetched within
    `seconds` in all from the one address the name resolved to, public unless `private`."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.path in ("", "/") or parts.fragment:
        raise ValueError("a client id document must be an https URL with a path")
    try:
        with anyio.fail_after(seconds):
            body = await _fetch(url, parts.hostname, parts.port or 443, private, resolve, verify)
    except TimeoutError:
        raise ValueError(f"no whole document within {seconds:g} s") from None
    document = json.loads(body)
    if not isinstance(document, dict) or document.get("client_id") != url:
        raise ValueError("its client_id is not its own URL")
    uris = document.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise ValueError("no redirect_uris")
    if document.get("token_endpoint_auth_method", "none") != "none":
        raise ValueError("only public clients (token_endpoint_auth_method none) are supported")
    return document


async def _fetch(
    url: str, host: str, port: int, private: bool, resolve: Resolve, verify: ssl.SSLContext | None
) -> bytes:
    import httpx2

    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        addresses = await resolve(host, port)
    ip = ipaddress.ip_address(pick_address(host, addresses, private))
    literal = f"[{ip}]" if ip.version == 6 else str(ip)
    parts = urlsplit(url)
    pinned = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path, parts.query, ""))
    # identity: the bytes counted are the bytes parsed (no compressed bomb under the cap)
    headers = {"Accept": "application/json", "Accept-Encoding": "identity", "Host": parts.netloc}
    # the connection goes to the checked address; TLS (SNI and the certificate) still names the host
    async with (
        httpx2.AsyncClient(follow_redirects=False, verify=verify if verify is not None else True) as http,
        http.stream("GET", pinned, headers=headers, extensions={"sni_hostname": host}) as response,
    ):
        if response.status_code != 200:
            raise ValueError(f"answered {response.status_code}")
        body = b""
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) > CIMD_MAX_BYTES:
                raise ValueError(f"larger than {CIMD_MAX_BYTES} bytes")
    return body
