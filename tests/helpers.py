"""Test helpers: the real Google client against a sandbox, and discovery-schema checks."""

from __future__ import annotations

import json
import pathlib
import queue
import threading
import urllib.request
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import googleapiclient
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.http import HttpRequest

DOCS = pathlib.Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


def control(url: str, path: str, body: dict[str, Any] | None = None, method: str | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        url + path,
        data=data,
        method=method or ("POST" if data is not None else "GET"),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


def credentials(url: str, scopes: str | None = None, account: str | None = None) -> Credentials:
    query = "&".join(f"{k}={v}" for k, v in (("scopes", scopes), ("account", account)) if v)
    info = control(url, "/_sandbox/credentials" + (f"?{query}" if query else ""))
    return Credentials(
        None,
        refresh_token=info["refresh_token"],
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        token_uri=info["token_uri"],
    )


def gmail(url: str, creds: Credentials | None = None) -> Any:
    return build("gmail", "v1", credentials=creds or credentials(url), client_options={"api_endpoint": url})


def docs(url: str, creds: Credentials | None = None) -> Any:
    return build("docs", "v1", credentials=creds or credentials(url), client_options={"api_endpoint": url})


def drive(url: str, creds: Credentials | None = None) -> Any:
    return build(
        "drive", "v3", credentials=creds or credentials(url), client_options={"api_endpoint": url + "/drive/v3"}
    )


def tasks(url: str, creds: Credentials | None = None) -> Any:
    return build("tasks", "v1", credentials=creds or credentials(url), client_options={"api_endpoint": url})


def chat(url: str, creds: Credentials | None = None) -> Any:
    return build("chat", "v1", credentials=creds or credentials(url), client_options={"api_endpoint": url})


def people(url: str, creds: Credentials | None = None) -> Any:
    return build("people", "v1", credentials=creds or credentials(url), client_options={"api_endpoint": url})


def calendar(url: str, creds: Credentials | None = None) -> Any:
    return build(
        "calendar",
        "v3",
        credentials=creds or credentials(url),
        client_options={"api_endpoint": url + "/calendar/v3"},
    )


@cache
def discovery(api: str) -> dict[str, Any]:
    return json.loads((DOCS / f"{api}.json").read_text())


def _methods(node: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for method in node.get("methods", {}).values():
        out[method["id"]] = method
    for child in node.get("resources", {}).values():
        out.update(_methods(child))
    return out


class SchemaError(AssertionError):
    pass


def validate(value: Any, schema: dict[str, Any], schemas: dict[str, Any], where: str = "$") -> None:
    """Check a response against the discovery schema: no unknown fields, the right JSON types."""
    if "$ref" in schema:
        schema = schemas[schema["$ref"]]
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            raise SchemaError(f"{where}: expected an object, got {type(value).__name__}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                validate(item, props[key], schemas, f"{where}.{key}")
            elif extra is not None:
                validate(item, extra, schemas, f"{where}[{key!r}]")
            else:
                raise SchemaError(f"{where}: field {key!r} is not in the schema")
    elif kind == "array":
        if not isinstance(value, list):
            raise SchemaError(f"{where}: expected an array, got {type(value).__name__}")
        for i, item in enumerate(value):
            validate(item, schema["items"], schemas, f"{where}[{i}]")
    elif kind == "string":
        if not isinstance(value, str):
            raise SchemaError(f"{where}: expected a string, got {value!r}")
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise SchemaError(f"{where}: expected an integer, got {value!r}")
    elif kind == "number" and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise SchemaError(f"{where}: expected a number, got {value!r}")
    elif kind == "boolean" and not isinstance(value, bool):
        raise SchemaError(f"{where}: expected a boolean, got {value!r}")


def run(request: HttpRequest) -> Any:
    """Execute a googleapiclient request and check its answer against the discovery document."""
    result = request.execute()
    api = request.methodId.split(".")[0]
    doc = discovery(
        {
            "gmail": "gmail.v1",
            "calendar": "calendar.v3",
            "docs": "docs.v1",
            "drive": "drive.v3",
            "sheets": "sheets.v4",
            "slides": "slides.v1",
            "tasks": "tasks.v1",
            "chat": "chat.v1",
            "people": "people.v1",
        }[api]
    )
    method = _method(doc, request.methodId)
    if "response" in method:
        validate(result, method["response"], doc["schemas"], request.methodId)
    else:
        assert result in ("", None, {}), f"{request.methodId} answered a body where none is expected: {result!r}"
    return result


def _method(doc: dict[str, Any], method_id: str) -> dict[str, Any]:
    return _methods(doc)[method_id]


class Receiver:
    """A local HTTP endpoint that records the POSTs it gets (push notifications)."""

    def __init__(self) -> None:
        self.received: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                outer.received.put(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/push"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def next(self, timeout: float = 5) -> tuple[dict[str, str], bytes]:
        return self.received.get(timeout=timeout)


def collect_cluster_leftovers() -> None:
    """Collect what a Redis Cluster client let go of, here, at the end of the test that used the cluster.

    When the cluster's layout changes (a failover, a node that stops answering), redis-py drops the old
    node from its table and closes only its idle connections; one that was busy stays open until the
    garbage collector finds the node, which then warns — in whatever test happens to run at that moment
    (a Calendar edge test, once). Those warnings are dropped here; every other unraisable goes on to
    pytest as before."""
    import gc
    import sys

    # the finalizers that warn (the unraisable's object is the __del__ that raised)
    left = ("ClusterNode.__del__", "AbstractConnection.__del__", "StreamWriter.__del__", "_SelectorTransport.__del__")
    before = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        warned = isinstance(unraisable.exc_value, ResourceWarning)
        if not (warned and getattr(unraisable.object, "__qualname__", "") in left):
            before(unraisable)

    sys.unraisablehook = hook
    try:
        gc.collect()
    finally:
        sys.unraisablehook = before
