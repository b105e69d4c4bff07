"""Client ID Metadata Document fetches: which addresses are refused, and how the fetch is fenced (one
resolution, one deadline, no redirects, a size cap, TLS checked against the name)."""

from __future__ import annotations

import json
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

from google_mcp.people.cimd import CIMD_MAX_BYTES, fetch_client_document, pick_address, refused_address

pytestmark = pytest.mark.anyio

NAME = "docs.test"  # the document host's name: only ever resolved by the tests' own resolver


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",  # RFC 1918
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",  # carrier-grade NAT
        "100.127.255.254",
        "127.0.0.1",
        "169.254.169.254",  # link-local: cloud metadata
        "0.0.0.0",
        "0.1.2.3",
        "192.0.0.9",
        "192.0.2.10",  # documentation
        "198.51.100.7",
        "203.0.113.9",
        "198.18.0.1",  # benchmarking
        "198.19.255.1",
        "192.88.99.1",  # 6to4 relay
        "224.0.0.1",  # multicast
        "239.255.255.250",
        "240.0.0.1",  # reserved
        "255.255.255.255",  # broadcast
        "::1",
        "::",
        "::ffff:10.0.0.1",  # v4-mapped
        "::ffff:100.64.0.1",
        "::ffff:127.0.0.1",
        "::ffff:8.8.8.8",  # mapped at all: a document host has a plain address
        "::10.0.0.1",  # v4-compatible
        "64:ff9b::a00:1",  # NAT64 to 10.0.0.1
        "64:ff9b::808:808",  # NAT64 at all
        "2002:a00:1::1",  # 6to4 carrying 10.0.0.1
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo carrying 10.0.0.1
        "2001:db8::1",  # documentation
        "3fff::1",
        "fc00::1",  # unique-local
        "fd12:3456::1",
        "fe80::1",  # link-local
        "fe80::1%1",
        "fec0::1",  # site-local
        "ff02::1",  # multicast
        "100::1",  # discard
        "2001:2::1",  # benchmarking
    ],
)
def test_a_special_purpose_address_is_refused_for_a_metadata_document(address: str) -> None:
    assert refused_address(address) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450::1"])
def test_an_ordinary_public_address_is_allowed(address: str) -> None:  # data only: never connected to
    assert refused_address(address) is None


def _certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for NAME (and 127.0.0.1): a name check and an address check differ."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from google_mcp.sandbox.pushsign import self_signed

    private, certificate = self_signed(ec.generate_private_key(ec.SECP256R1()), NAME, ip="127.0.0.1", dns=NAME)
    cert_file, key_file = tmp_path / "cimd-cert.pem", tmp_path / "cimd-key.pem"
    cert_file.write_text(certificate)
    key_file.write_text(private)
    return cert_file, key_file


class Host:
    """An https document host on 127.0.0.1: each document's client_id is the URL it was asked by."""

    def __init__(self, tmp_path: Path) -> None:
        cert, key = _certificate(tmp_path)
        self.trust = ssl.create_default_context(cafile=str(cert))

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                own = f"https://{self.headers['Host']}{self.path}"
                document = {"client_id": own, "client_name": "Desk", "redirect_uris": ["http://127.0.0.1:9/cb"]}
                if self.path == "/redirect.json":
                    self.send_response(302)
                    self.send_header("Location", "/ok.json")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path == "/big.json":
                    document["client_name"] = "x" * (CIMD_MAX_BYTES + 1024)
                body = json.dumps(document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path == "/drip.json":  # valid in the end, a byte every 0.3 s
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.3)
                    return
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    served = Host(tmp_path_factory.mktemp("cimd"))
    yield served
    served.close()


async def test_a_document_is_fetched_by_name_from_the_address_resolved(host: Host) -> None:
    async def resolve(name: str, port: int) -> list[str]:
        assert (name, port) == (NAME, host.port)
        return ["127.0.0.1"]

    url = f"https://{NAME}:{host.port}/ok.json"
    document = await fetch_client_document(url, 5, private=True, resolve=resolve, verify=host.trust)
    assert document["client_id"] == url  # the Host header named the host, not the address


async def test_the_certificate_is_checked_against_the_name_not_the_address(host: Host) -> None:
    async def resolve(name: str, port: int) -> list[str]:
        return ["127.0.0.1"]  # the certificate covers 127.0.0.1, but not this name

    with pytest.raises(httpx2.ConnectError, match="certificate"):
        await fetch_client_document(
            f"https://other.test:{host.port}/ok.json", 5, private=True, resolve=resolve, verify=host.trust
        )


def test_a_name_with_any_private_address_is_refused_whichever_comes_first() -> None:
    for answers in (["8.8.8.8", "10.0.0.1"], ["10.0.0.1", "8.8.8.8"], ["2606:4700:4700::1111", "::ffff:127.0.0.1"]):
        with pytest.raises(ValueError, match="not a public address"):
            pick_address("mixed.example", answers, private=False)  # data only: nothing is connected to
    assert pick_address("public.example", ["8.8.8.8", "1.1.1.1"], private=False) == "8.8.8.8"
    assert pick_address("intranet.example", ["10.0.0.1"], private=True) == "10.0.0.1"


async def test_a_private_address_is_refused_by_default(host: Host) -> None:
    with pytest.raises(ValueError, match="not a public address"):
        await fetch_client_document(f"https://127.0.0.1:{host.port}/ok.json", 5, private=False, verify=host.trust)


async def test_a_redirect_is_refused(host: Host) -> None:
    with pytest.raises(ValueError, match="answered 302"):
        await fetch_client_document(f"https://127.0.0.1:{host.port}/redirect.json", 5, True, verify=host.trust)


async def test_a_document_over_16_kib_is_refused(host: Host) -> None:
    with pytest.raises(ValueError, match="larger than"):
        await fetch_client_document(f"https://127.0.0.1:{host.port}/big.json", 5, True, verify=host.trust)


async def test_a_dripping_document_is_refused_within_the_total_deadline(host: Host) -> None:
    """Each byte comes well within a per-read timeout; the whole fetch still has one deadline (1 s here)."""
    started = time.monotonic()
    with anyio.fail_after(4), pytest.raises(ValueError, match="within 1 s"):  # a per-read timeout: ~20 s
        await fetch_client_document(f"https://127.0.0.1:{host.port}/drip.json", 1, True, verify=host.trust)
    assert time.monotonic() - started < 2.5


async def test_the_fetch_connects_to_the_address_it_resolved_not_a_second_answer(host: Host) -> None:
    """DNS rebinding: the resolver answers 127.0.0.1 first and 127.0.0.2 on any later call; the fetch reaches
    the 127.0.0.1 host, and a listener on 127.0.0.2 (same port) sees no connection."""
    rebound = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    rebound.bind(("127.0.0.2", host.port))
    rebound.listen(8)
    calls: list[str] = []

    async def resolve(name: str, port: int) -> list[str]:
        calls.append(name)
        return ["127.0.0.1"] if len(calls) == 1 else ["127.0.0.2"]

    try:
        url = f"https://{NAME}:{host.port}/ok.json"
        document = await fetch_client_document(url, 5, private=True, resolve=resolve, verify=host.trust)
        assert document["client_id"] == url
        # a connection, had one been made, waits in the backlog: readable at once, or within the bound
        readable, _, _ = select.select([rebound], [], [], 0.5)
        assert readable == [], "the fetch connected to the second answer"
        assert calls == [NAME]
    finally:
        rebound.close()
