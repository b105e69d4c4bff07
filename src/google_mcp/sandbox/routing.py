"""A tiny router: one dispatch function serves plain HTTP requests and batch parts alike."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from .errors import ApiError, bad_request


@dataclass
class Call:
    """One API request, from HTTP or from a batch part."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    scopes: frozenset[str] = frozenset()

    @classmethod
    def build(cls, method: str, target: str, headers: dict[str, str], body: bytes) -> Call:
        path, _, qs = target.partition("?")
        return cls(method.upper(), path, parse_qs(qs, keep_blank_values=True), headers, body)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def args(self, name: str) -> list[str]:
        return self.query.get(name, [])

    def int_arg(self, name: str, default: int, *, lo: int = 0, hi: int = 1 << 31) -> int:
        raw = self.arg(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise bad_request(f"Invalid value '{raw}' for {name}: expected an integer.") from None
        if value < lo:
            raise bad_request(f"Invalid value '{raw}' for {name}: must be at least {lo}.")
        return min(value, hi)

    def bool_arg(self, name: str, default: bool = False) -> bool:
        raw = self.arg(name)
        if raw is None:
            return default
        if raw.lower() in ("true", "1"):
            return True
        if raw.lower() in ("false", "0"):
            return False
        raise bad_request(f"Invalid value '{raw}' for {name}: expected true or false.")

    def json(self) -> dict[str, Any]:
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise bad_request("Invalid JSON payload received.", "parseError") from None
        if not isinstance(data, dict):
            raise bad_request("Invalid JSON payload received. Expected an object.", "parseError")
        return data


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-able, bytes (media), or None for an empty body
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Any]


@dataclass(frozen=True)
class Method:
    """A handler with Google's id of the method it answers (what the request log and the quota see)."""

    handler: Handler
    method_id: str

    def __call__(self, call: Call) -> Any:
        return self.handler(call)


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler, tuple[str, ...]]] = []

    def add(self, method: str, pattern: str, handler: Handler, scopes: tuple[str, ...]) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._routes.append((method, re.compile(f"^{regex}$"), handler, scopes))

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str], tuple[str, ...]]:
        allowed = False
        for m, regex, handler, scopes in self._routes:
            found = regex.match(path)
            if found:
                if m == method:
                    return handler, {k: unquote(v) for k, v in found.groupdict().items()}, scopes
                allowed = True
        if allowed:
            raise ApiError(405, f"Method {method} is not allowed on {path}.", "httpMethodNotAllowed")
        raise ApiError(404, f"The requested URL {path} was not found on this server.", "notFound")
