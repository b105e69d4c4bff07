"""Mail HTML as text a model reads well: what a person sees, with links kept and the noise cut.

- What a mail client would not show never reaches the model: a hostile sender hides instructions in
  display:none, visibility:hidden, zero font size or opacity, white text with no background of its own,
  the `hidden` attribute. Links with a script scheme lose their target.
- Quoted history (Gmail, Yahoo, Thunderbird and Apple quote blocks) is folded unless asked for.
- Layout tables (newsletters are built of them) become lines; a table with header cells stays a table.
- Links with no text are dropped; long (tracking) URLs move to a numbered list at the end.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
SKIP = {"script", "style", "head", "title", "noscript", "template"}
# elements whose end tag may be left out: a new one (or a block) closes them
OPTIONAL_END = {"p", "li", "dt", "dd", "tr", "td", "th", "option"}
BLOCKS = {"p", "div", "table", "ul", "ol", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
_WHITE = re.compile(r"^(?:#f{3}|#f{6}|white|rgba?\(\s*255\s*,\s*255\s*,\s*255\s*(?:,\s*[\d.]+\s*)?\))$", re.I)
_ZERO = re.compile(r"^0*\.?0*(?:px|pt|em|rem|%)?$")
_UNSAFE_SCHEME = re.compile(r"^\s*(?:javascript|vbscript|data)\s*:", re.I)
_QUOTE_CLASSES = {"gmail_quote", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote", "divrplyfwdmsg"}
TABLE_PARTS = {"table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption"}
LONG_URL = 100
_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\((<[^>]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?: \"[^\"]*\")?\)")


@functools.lru_cache(maxsize=1024)  # newsletters repeat the same few styles on every cell; read only
def _style(value: str) -> dict[str, str]:
    out = {}
    for decl in value.split(";"):
        name, _, val = decl.partition(":")
        if val:
            out[name.strip().lower()] = val.strip().lower().replace("!important", "").strip()
    return out


def background(attrs: dict[str, str | None]) -> bool | None:
    """Whether an element paints a background other than white (None: it paints none)."""
    style = _style(attrs.get("style") or "")
    value = style.get("background-color") or style.get("background") or attrs.get("bgcolor")
    if not value or value.split()[0] in ("none", "transparent", "inherit", "initial"):
        return None
    return not _WHITE.match(value.split()[0])


def invisible(attrs: dict[str, str | None], dark_behind: bool) -> bool:
    if "hidden" in attrs:
        return True
    style = _style(attrs.get("style") or "")
    if style.get("display") == "none" or style.get("visibility") == "hidden":
        return True
    for prop in ("opacity", "font-size", "max-height"):
        if prop in style and _ZERO.match(style[prop]):
            return True
    own = background(attrs)
    painted = own if own is not None else dark_behind
    return bool(_WHITE.match(style.get("color", ""))) and not painted


def _quote(tag: str, attrs: dict[str, str | None]) -> bool:
    classes = set((attrs.get("class") or "").lower().split())
    return bool(classes & _QUOTE_CLASSES) or (tag == "blockquote" and (attrs.get("type") or "").lower() == "cite")


Token = tuple[str, str, list[tuple[str, str | None]]]  # ("start" | "end" | "data", tag or text, attributes)


@dataclass
class _TablePart:
    """A table tag whose rendering waits until its table is known to hold data (a header cell) or not."""

    table: int
    as_data: Token


class _Visible(HTMLParser):
    def __init__(self, fold_quotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.fold_quotes = fold_quotes
        self.folded = False
        self.data_tables: set[int] = set()  # tables with a header cell: kept as tables
        self.tables: list[int] = []  # the open tables
        self.table_count = 0
        self.out: list[Token | _TablePart] = []
        self.skipping: str | None = None  # the tag whose subtree is being left out
        self.depth = 0
        self.open: list[tuple[str, bool]] = []  # open elements, and whether a non-white background is behind them

    @property
    def dark(self) -> bool:
        return self.open[-1][1] if self.open else False

    def _emit_start(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        if tag == "table":
            self.tables.append(self.table_count)
            self.table_count += 1
        elif tag == "th" and self.tables:
            self.data_tables.add(self.tables[-1])
        if tag == "img" and any(n.endswith(("width", "height")) and (v or "").strip() in ("0", "1") for n, v in attrs):
            return  # a tracking pixel
        kept = [
            (name, value)
            for name, value in attrs
            if not (name.startswith("on") or (name in ("href", "src") and value and _UNSAFE_SCHEME.match(value)))
        ]
        token: Token = ("start", tag, kept)
        self.out.append(_TablePart(self.tables[-1], token) if tag in TABLE_PARTS and self.tables else token)
        if closed:
            self.out.append(("end", tag, []))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping is not None:
            if self.depth == 1 and self.skipping in OPTIONAL_END and (tag == self.skipping or tag in BLOCKS):
                self.skipping, self.depth = None, 0  # the hidden element ended without its end tag
            else:
                if tag not in VOID:
                    self.depth += 1
                return
        found = dict(attrs)
        if tag in SKIP or invisible(found, self.dark) or (self.fold_quotes and _quote(tag, found)):
            if self.fold_quotes and _quote(tag, found) and tag not in SKIP:
                if not self.folded or self.out[-1] != FOLDED[-1]:
                    self.out.extend(FOLDED)
                self.folded = True
            if tag not in VOID:
                self.skipping, self.depth = tag, 1
            return
        if tag not in VOID:
            own = background(found)
            self.open.append((tag, own if own is not None else self.dark))
        self._emit_start(tag, attrs, False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping is None and tag not in SKIP and not invisible(dict(attrs), self.dark):
            self._emit_start(tag, attrs, True)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping is not None:
            if tag not in VOID:
                self.depth -= 1
            if self.depth <= 0 or (tag == self.skipping and self.depth <= 1):
                self.skipping, self.depth = None, 0
            return
        names = [name for name, _ in self.open]
        if tag in names:
            del self.open[len(names) - 1 - names[::-1].index(tag) :]
        if tag in TABLE_PARTS and self.tables:
            self.out.append(_TablePart(self.tables[-1], ("end", tag, [])))
            if tag == "table":
                self.tables.pop()
        else:
            self.out.append(("end", tag, []))

    def handle_data(self, data: str) -> None:
        if self.skipping is None:
            self.out.append(("data", data, []))


FOLDED: list[Token] = [("start", "p", []), ("data", "[quoted history folded]", []), ("end", "p", [])]
_MARKUP_CHARS = re.compile(r"([&<>])")


def visible(markup: str, fold_quotes: bool = False) -> tuple[list[Token], bool]:
    """(what a person would see, as tokens; whether quoted history was folded). One pass over the markup; a
    layout table's tags become divs (its cells, lines) once the pass knows it held no header cell."""
    parser = _Visible(fold_quotes)
    parser.feed(markup)
    parser.close()
    data = parser.data_tables
    tokens = [
        p if not isinstance(p, _TablePart) else (p.as_data if p.table in data else (p.as_data[0], "div", []))
        for p in parser.out
    ]
    return tokens, parser.folded


def _replay(conv: Any, tokens: list[Token]) -> None:
    """Hand the tokens to html2text's handlers as its own parser would have (no second parse of the markup):
    text split where it would have met &, < or > as entities, which it does not escape as Markdown."""
    for kind, value, attrs in tokens:
        if kind == "start":
            conv.handle_starttag(value, attrs)
        elif kind == "end":
            conv.handle_endtag(value)
        else:
            for i, piece in enumerate(_MARKUP_CHARS.split(value)):
                if piece:
                    conv.handle_data(piece, i % 2 == 1)


def _links(text: str) -> str:
    """Drop links without text; move long URLs to a numbered list at the end."""
    notes: list[str] = []

    def link(found: re.Match[str]) -> str:
        label, url = found.group(1).strip(), found.group(2).strip("<>")
        if not label:
            return ""
        if len(url) <= LONG_URL:
            return found.group(0)
        notes.append(url)
        return f"{label} [{len(notes)}]"

    text = _LINK.sub(link, text)
    if notes:
        text += "\n\nLinks:\n" + "\n".join(f"[{n}] {url}" for n, url in enumerate(notes, 1))
    return text


def html_to_text(markup: str, include_quoted: bool) -> tuple[str, bool]:
    import html2text

    tokens, folded = visible(markup, fold_quotes=not include_quoted)
    conv = html2text.HTML2Text()
    conv.body_width = 0
    conv.ignore_images = True
    conv.ignore_links = False
    conv.ignore_emphasis = True
    conv.unicode_snob = True
    conv.single_line_break = False
    conv.pad_tables = False
    conv.start = True
    _replay(conv, tokens)
    text = _links(conv.optwrap(conv.finish()))
    text = re.sub(r"[\u200b-\u200d\u2060\ufeff\u034f\u00ad]+", "", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"^>\n(?:>\n)+", ">\n", text, flags=re.M)  # a quote's empty lines, once
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text, folded
