"""Gmail's search language: operators, quoted phrases, OR, negation, grouping."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .errors import bad_request
from .mime import raw_header

if TYPE_CHECKING:
    from .mail import StoredMessage

Pred = Callable[["StoredMessage", "SearchContext"], bool]

OPERATORS = {
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "label",
    "in",
    "is",
    "has",
    "filename",
    "after",
    "before",
    "newer",
    "older",
    "newer_than",
    "older_than",
    "larger",
    "smaller",
    "size",
    "category",
    "rfc822msgid",
    "list",
    "deliveredto",
}


@dataclass
class SearchContext:
    account: str
    now: datetime
    tz: ZoneInfo
    label_names: dict[str, str]  # label id -> normalised name


def _norm_label(name: str) -> str:
    return re.sub(r"[\s/]+", "-", name.strip().lower())


_WORD = re.compile(r"\w+", re.UNICODE)


def _has_term(text: str, term: str) -> bool:
    text = text.lower()
    term = term.lower()
    if not _WORD.fullmatch(term) or (not term.isascii() and any(ch >= "\u2e80" for ch in term)):
        return term in text  # addresses, punctuation and CJK (no spaces between words) match as substrings
    return term in _WORD.findall(text)


def _has_phrase(text: str, phrase: str) -> bool:
    norm = " ".join(_WORD.findall(phrase.lower()))
    return bool(norm) and norm in " ".join(_WORD.findall(text.lower()))


def _everywhere(m: StoredMessage) -> list[str]:
    p = m.parsed
    return [p.subject, p.sender, p.to, p.cc, p.text, " ".join(p.filenames)]


def _parse_date(value: str, ctx: SearchContext) -> int:
    if value.isdigit() and len(value) > 8:
        return int(value) * 1000
    for fmt in ("%Y/%m/%d", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            day = datetime.strptime(value, fmt).replace(tzinfo=ctx.tz)
        except ValueError:
            continue
        return int(day.timestamp() * 1000)
    raise bad_request(f"Invalid date '{value}' in search query: use YYYY/MM/DD.")


def _parse_age(value: str) -> timedelta:
    found = re.fullmatch(r"(\d+)([dmy])", value.lower())
    if not found:
        raise bad_request(f"Invalid age '{value}' in search query: use a number and d, m or y (e.g. 7d).")
    n, unit = int(found.group(1)), found.group(2)
    return timedelta(days=n * {"d": 1, "m": 30, "y": 365}[unit])


def _parse_size(value: str) -> int:
    found = re.fullmatch(r"(\d+)([kKmM]?)", value)
    if not found:
        raise bad_request(f"Invalid size '{value}' in search query: use bytes, or a number with K or M.")
    n = int(found.group(1))
    return n * {"": 1, "k": 1024, "m": 1024 * 1024}[found.group(2).lower()]


_IN = {
    "inbox": "INBOX",
    "sent": "SENT",
    "trash": "TRASH",
    "spam": "SPAM",
    "draft": "DRAFT",
    "drafts": "DRAFT",
    "starred": "STARRED",
    "important": "IMPORTANT",
    "chats": "CHAT",
    "unread": "UNREAD",
}
_CATEGORY = {
    "primary": "CATEGORY_PERSONAL",
    "personal": "CATEGORY_PERSONAL",
    "social": "CATEGORY_SOCIAL",
    "promotions": "CATEGORY_PROMOTIONS",
    "updates": "CATEGORY_UPDATES",
    "forums": "CATEGORY_FORUMS",
}


def _operator(op: str, value: str, phrase: bool) -> Pred:
    v = value.lower()
    if op in ("from", "to", "cc", "bcc", "deliveredto"):
        attr = {"from": "sender", "deliveredto": "to"}.get(op, op)

        def addr(m: StoredMessage, ctx: SearchContext) -> bool:
            target = v if v != "me" else ctx.account.lower()
            return target in getattr(m.parsed, attr).lower()

        return addr
    if op == "subject":
        return lambda m, c: (_has_phrase if phrase else _has_term)(m.parsed.subject, value)
    if op in ("label", "in", "is", "category"):

        def label(m: StoredMessage, ctx: SearchContext) -> bool:
            labels = m.labels
            if op == "in" and v == "anywhere":
                return True
            if op == "is" and v == "read":
                return "UNREAD" not in labels
            if op == "is" and v == "unstarred":
                return "STARRED" not in labels
            if op == "category":
                return _CATEGORY.get(v, "") in labels
            if op in ("in", "is") and v in _IN:
                return _IN[v] in labels
            want = _norm_label(value)
            return any(lid.lower() == v or ctx.label_names.get(lid) == want for lid in labels)

        return label
    if op == "has":
        if v == "attachment":
            return lambda m, c: bool(m.parsed.filenames)
        if v == "userlabels":
            return lambda m, c: any(lid.startswith("Label_") for lid in m.labels)
        if v == "nouserlabels":
            return lambda m, c: not any(lid.startswith("Label_") for lid in m.labels)
        if v in ("drive", "document", "spreadsheet", "presentation", "youtube"):
            return lambda m, c: v in m.parsed.text.lower()
        raise bad_request(f"Unsupported has:{value} in search query: try has:attachment.")
    if op == "filename":
        return lambda m, c: any(v in f.lower() or f.lower().endswith("." + v) for f in m.parsed.filenames)
    if op in ("after", "newer", "before", "older"):
        after = op in ("after", "newer")

        def when(m: StoredMessage, ctx: SearchContext) -> bool:
            bound = _parse_date(value, ctx)
            return m.internal_date >= bound if after else m.internal_date < bound

        return when
    if op in ("newer_than", "older_than"):
        age = _parse_age(value)

        def relative(m: StoredMessage, ctx: SearchContext) -> bool:
            bound = int((ctx.now - age).timestamp() * 1000)
            return m.internal_date >= bound if op == "newer_than" else m.internal_date < bound

        return relative
    if op in ("larger", "smaller", "size"):
        size = _parse_size(value)
        if op == "larger":
            return lambda m, c: m.size > size
        if op == "smaller":
            return lambda m, c: m.size < size
        return lambda m, c: m.size == size
    if op == "rfc822msgid":
        return lambda m, c: v.strip("<>") in m.parsed.message_id.lower()
    if op == "list":
        return lambda m, c: v in (raw_header(m.parsed.msg, "List-Id") or "").lower()
    raise bad_request(f"Unsupported operator {op}: in search query.")


def _text(value: str, phrase: bool) -> Pred:
    test = _has_phrase if phrase else _has_term
    return lambda m, c: any(test(t, value) for t in _everywhere(m))


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<open>[({])|(?P<close>[)}])|
        (?P<op>[A-Za-z_]+):(?:"(?P<opq>[^"]*)"?|(?P<opg>\()|(?P<opv>[^\s(){}"]+))|
        "(?P<phrase>[^"]*)"?|
        (?P<neg>-)(?=\S)|
        (?P<word>[^\s(){}"]+)
    )""",
    re.X,
)


class _Parser:
    """and := or+ ; or := unary (OR unary)* ; unary := -unary | (and) | {or-list} | atom"""

    def __init__(self, query: str) -> None:
        self.tokens: list[tuple[str, str, str]] = []  # kind, value, op
        pos = 0
        while pos < len(query):
            if query[pos:].strip() == "":
                break
            found = _TOKEN.match(query, pos)
            if not found or found.end() == pos:
                raise bad_request(f"Could not parse the search query near '{query[pos : pos + 20]}'.")
            pos = found.end()
            g = found.groupdict()
            if g["open"]:
                self.tokens.append(("open", g["open"], ""))
            elif g["close"]:
                self.tokens.append(("close", g["close"], ""))
            elif g["op"] is not None and g["op"].lower() in OPERATORS:
                op = g["op"].lower()
                if g["opg"]:
                    self.tokens.append(("open", "(", op))
                elif g["opq"] is not None:
                    self.tokens.append(("phrase", g["opq"], op))
                else:
                    self.tokens.append(("word", g["opv"] or "", op))
            elif g["op"] is not None:
                self.tokens.append(("word", found.group(0).strip(), ""))
            elif g["phrase"] is not None:
                self.tokens.append(("phrase", g["phrase"], ""))
            elif g["neg"]:
                self.tokens.append(("neg", "-", ""))
            else:
                word = g["word"]
                self.tokens.append(("kw" if word in ("OR", "AND", "|") else "word", word, ""))
        self.i = 0

    def peek(self) -> tuple[str, str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, str]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Pred:
        pred = self.and_expr("")
        if self.peek() is not None:
            raise bad_request("Unbalanced parentheses in search query.")
        return pred

    def and_expr(self, op: str) -> Pred:
        items: list[Pred] = []
        while (tok := self.peek()) is not None and tok[0] != "close":
            if tok[0] == "kw" and tok[1] == "AND":
                self.take()
                continue
            items.append(self.or_expr(op))
        if not items:
            return lambda m, c: True
        return lambda m, c: all(p(m, c) for p in items)

    def or_expr(self, op: str) -> Pred:
        items = [self.unary(op)]
        while (tok := self.peek()) is not None and tok[0] == "kw" and tok[1] in ("OR", "|"):
            self.take()
            items.append(self.unary(op))
        if len(items) == 1:
            return items[0]
        return lambda m, c: any(p(m, c) for p in items)

    def unary(self, op: str) -> Pred:
        tok = self.peek()
        if tok is None:
            raise bad_request("The search query ends where a term was expected.")
        kind, value, tok_op = self.take()
        if kind == "neg":
            inner = self.unary(op)
            return lambda m, c: not inner(m, c)
        if kind == "open":
            inner_op = tok_op or op
            if value == "{":
                items: list[Pred] = []
                while (t := self.peek()) is not None and t[0] != "close":
                    items.append(self.unary(inner_op))
                self._close()
                return lambda m, c: any(p(m, c) for p in items)
            inner = self.and_expr(inner_op)
            self._close()
            return inner
        if kind == "close":
            raise bad_request("Unbalanced parentheses in search query.")
        if kind == "kw":
            return _text(value, False) if not op else _operator(op, value, False)
        use_op = tok_op or op
        if use_op:
            return _operator(use_op, value, kind == "phrase")
        return _text(value, kind == "phrase")

    def _close(self) -> None:
        nxt = self.peek()
        if nxt is None or nxt[0] != "close":
            raise bad_request("Unbalanced parentheses in search query.")
        self.take()


def compile_query(query: str) -> Pred:
    return _Parser(query).parse()


_SPAM_TRASH = re.compile(r"\b(in|label):(trash|spam|anywhere)\b|\bin:anywhere\b", re.I)


def mentions_spam_or_trash(query: str) -> bool:
    return bool(_SPAM_TRASH.search(query))
