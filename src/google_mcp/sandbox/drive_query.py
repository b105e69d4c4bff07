"""Drive's query language (`q`) and partial responses (`fields`), as files.list and files.get read them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import google_mcp.sandbox.docs as d
from google_mcp.sandbox.docstore import File

from .errors import ApiError

# q ----------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(?:(\(|\))|'((?:[^'\\]|\\.)*)'|(!=|<=|>=|=|<|>)|([A-Za-z_][\w.]*)|(\S))")
Predicate = Callable[[File | d.Document], bool]


def _invalid(detail: str) -> ApiError:
    return ApiError(
        400, f"Invalid Value: q ({detail})", "invalid", extra={"location": "q", "locationType": "parameter"}
    )


def _tokens(q: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(q):
        m = _TOKEN.match(q, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        paren, string, op, word, other = m.groups()
        if other:
            raise _invalid(f"unexpected {other!r}")
        if paren:
            out.append(("paren", paren))
        elif string is not None:
            out.append(("str", re.sub(r"\\(.)", r"\1", string)))
        elif op:
            out.append(("op", op))
        elif word:
            out.append(("word", word))
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def field_of(item: File | d.Document, name: str) -> Any:
    if name == "name":
        return item.title
    if name == "fullText":
        return item.title + "\n" + item.text()
    if name == "mimeType":
        return item.mime_type
    if name == "trashed":
        return item.trashed
    if name in ("modifiedTime", "createdTime"):
        return item.modified if name == "modifiedTime" else item.created
    raise _invalid(f"unknown field {name!r}")


def _condition(name: str, op: str, value: Any) -> Predicate:
    if name == "trashed":
        if not isinstance(value, bool) or op not in ("=", "!="):
            raise _invalid("trashed takes = or != with true or false")
        return lambda f: (f.trashed == value) == (op == "=")
    if not isinstance(value, str):
        raise _invalid(f"{name} takes a quoted string")
    if name in ("modifiedTime", "createdTime"):
        try:  # Drive reads a time without an offset as UTC
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _invalid(f"{value!r} is not an RFC 3339 time") from None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        ops: dict[str, Callable[[datetime, datetime], bool]] = {
            "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, "=": lambda a, b: a == b,
            "!=": lambda a, b: a != b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
        }  # fmt: skip
        if op not in ops:
            raise _invalid(f"{name} does not take {op}")
        return lambda f: ops[op](field_of(f, name), when)
    if op == "contains":
        if name == "name":  # Drive matches name terms by prefix
            wanted = value.lower()
            return lambda f: any(
                w.startswith(wanted) for w in [str(field_of(f, name)).lower(), *_words(field_of(f, name))]
            )
        if name == "fullText":  # whole words, as a phrase
            phrase = _words(value)
            return lambda f: bool(phrase) and " ".join(phrase) in " ".join(_words(field_of(f, name)))
        if name == "mimeType":
            return lambda f: value in f.mime_type
        raise _invalid(f"{name} does not take contains")
    if op in ("=", "!=") and name in ("name", "mimeType"):
        return lambda f: (field_of(f, name) == value) == (op == "=")
    raise _invalid(f"{name} does not take {op}")


def parse_q(q: str, root_id: str = "root") -> Predicate:
    tokens = _tokens(q)
    pos = 0

    def peek() -> tuple[str, str] | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal pos
        if pos >= len(tokens):
            raise _invalid("the query ends too soon")
        pos += 1
        return tokens[pos - 1]

    def either() -> Predicate:
        parts = [both()]
        while peek() == ("word", "or"):
            take()
            parts.append(both())
        return parts[0] if len(parts) == 1 else (lambda f: any(p(f) for p in parts))

    def both() -> Predicate:
        parts = [unary()]
        while peek() == ("word", "and"):
            take()
            parts.append(unary())
        return parts[0] if len(parts) == 1 else (lambda f: all(p(f) for p in parts))

    def unary() -> Predicate:
        kind, text = take()
        if (kind, text) == ("word", "not"):
            inner = unary()
            return lambda f: not inner(f)
        if (kind, text) == ("paren", "("):
            inner = either()
            if take() != ("paren", ")"):
                raise _invalid("a parenthesis is not closed")
            return inner
        if kind == "str":  # 'id' in parents, 'email' in owners
            if take() != ("word", "in"):
                raise _invalid(f"expected in after {text!r}")
            where = take()[1]
            if where == "parents":
                folder = root_id if text == "root" else text
                return lambda f: folder in f.parents
            if where in ("owners", "writers", "readers"):
                return lambda f: (
                    text == f.owner[1]
                    or (where != "owners" and any(p.get("emailAddress") == text for p in f.permissions))
                )
            raise _invalid(f"{where} is not a collection to search in")
        if kind != "word":
            raise _invalid(f"expected a field, found {text!r}")
        op_kind, op = take()
        if op_kind not in ("op", "word"):
            raise _invalid(f"expected an operator after {text}")
        value_kind, raw = take()
        value: Any = raw if value_kind == "str" else {"true": True, "false": False}.get(raw, raw)
        if value_kind == "word" and raw not in ("true", "false"):
            raise _invalid(f"{raw} must be quoted")
        return _condition(text, op, value)

    if not tokens:
        return lambda f: True
    predicate = either()
    if pos != len(tokens):
        raise _invalid(f"unexpected {tokens[pos][1]!r}")
    return predicate


# partial responses: fields=files(id,name),nextPageToken -------------------------------------
def mask(spec: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    stack = [out]
    name = ""
    for ch in spec + ",":
        if ch in ",()":
            if name.strip():
                stack[-1][name.strip()] = {}
            if ch == "(":
                stack.append(stack[-1][name.strip()])
            elif ch == ")":
                stack.pop()
            name = ""
        else:
            name += ch
    return out


def pick(value: Any, mask: dict[str, Any]) -> Any:
    if not mask or "*" in mask or value is None:
        return value
    if isinstance(value, list):
        return [pick(v, mask) for v in value]
    if isinstance(value, dict):
        return {k: pick(value[k], sub) for k, sub in mask.items() if k in value}
    return value
