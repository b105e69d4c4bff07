"""Drive v3 over HTTP, as far as finding documents needs: files.list with q, files.get; partial responses."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import google_mcp.sandbox.docs as d
from google_mcp.sandbox.docstore import File

from .errors import ApiError, not_found
from .routing import Call, Router
from .timeutil import utc_stamp

if TYPE_CHECKING:
    from .host import Host

A = "https://www.googleapis.com/auth/"
READ = (A + "drive", A + "drive.readonly", A + "drive.metadata.readonly", A + "drive.metadata", A + "drive.file")
F = "/drive/v3/files"
DOC = "application/vnd.google-apps.document"
DEFAULT_FIELDS = "kind,id,name,mimeType"


def file_json(item: File | d.Document) -> dict[str, Any]:
    name, email = item.owner
    doc = isinstance(item, d.Document)
    return {
        "kind": "drive#file",
        "id": item.id,
        "name": item.title,
        "mimeType": item.mime_type,
        "createdTime": utc_stamp(item.created),
        "modifiedTime": utc_stamp(item.modified),
        "owners": [{"kind": "drive#user", "displayName": name, "emailAddress": email, "me": True}],
        "trashed": item.trashed,
        "webViewLink": f"https://docs.google.com/document/d/{item.id}/edit"
        if doc
        else f"https://drive.google.com/file/d/{item.id}/view",
    }


# q: the Drive query language ------------------------------------------------------------------
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


def _field(item: File | d.Document, name: str) -> Any:
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
        return lambda f: ops[op](_field(f, name), when)
    if op == "contains":
        if name == "name":  # Drive matches name terms by prefix
            wanted = value.lower()
            return lambda f: any(w.startswith(wanted) for w in [str(_field(f, name)).lower(), *_words(_field(f, name))])
        if name == "fullText":  # whole words, as a phrase
            phrase = _words(value)
            return lambda f: bool(phrase) and " ".join(phrase) in " ".join(_words(_field(f, name)))
        if name == "mimeType":
            return lambda f: value in f.mime_type
        raise _invalid(f"{name} does not take contains")
    if op in ("=", "!=") and name in ("name", "mimeType"):
        return lambda f: (_field(f, name) == value) == (op == "=")
    raise _invalid(f"{name} does not take {op}")


def parse_q(q: str) -> Predicate:
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
        if kind == "str":  # 'root' in parents
            if take() != ("word", "in") or take()[1] != "parents":
                raise _invalid("only 'id' in parents is understood here")
            return lambda f: text == "root"
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
def _mask(spec: str) -> dict[str, Any]:
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


def _pick(value: Any, mask: dict[str, Any]) -> Any:
    if not mask or "*" in mask or value is None:
        return value
    if isinstance(value, list):
        return [_pick(v, mask) for v in value]
    if isinstance(value, dict):
        return {k: _pick(value[k], sub) for k, sub in mask.items() if k in value}
    return value


class DriveApi:
    def __init__(self, sandbox: Host) -> None:
        self.sb = sandbox

    def register(self, r: Router) -> None:
        r.add("GET", F, self.list_files, READ)
        r.add("GET", F + "/{id}", self.get_file, READ)

    def list_files(self, call: Call) -> dict[str, Any]:
        keep = parse_q(call.arg("q") or "")
        size = call.int_arg("pageSize", 100, lo=1, hi=1000)
        start = call.int_arg("pageToken", 0)
        order = (call.arg("orderBy") or "modifiedTime desc").split(",")[0].strip().split()
        key = {"name": lambda f: str(_field(f, "name")).lower(), "createdTime": lambda f: f.created}.get(
            order[0], lambda f: f.modified
        )
        found = sorted((f for f in self.sb.docs.everything() if keep(f)), key=key, reverse=order[-1] == "desc")
        page = found[start : start + size]
        out: dict[str, Any] = {
            "kind": "drive#fileList",
            "incompleteSearch": False,
            "files": [file_json(f) for f in page],
        }
        if start + size < len(found):
            out["nextPageToken"] = str(start + size)
        fields = call.arg("fields")
        mask = (
            _mask(fields)
            if fields
            else {"kind": {}, "incompleteSearch": {}, "nextPageToken": {}, "files": _mask(DEFAULT_FIELDS)}
        )
        return dict(_pick(out, mask))

    def get_file(self, call: Call) -> dict[str, Any]:
        item = self.sb.docs.documents.get(call.params["id"]) or self.sb.docs.files.get(call.params["id"])
        if item is None:
            raise not_found(f"File not found: {call.params['id']}.")
        return dict(_pick(file_json(item), _mask(call.arg("fields") or DEFAULT_FIELDS)))
