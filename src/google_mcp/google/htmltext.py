"""Mail HTML as text a model reads well: what a person sees, with links kept and the noise cut.

- What a mail client would not show never reaches the model: a hostile sender hides instructions in
  display:none, visibility:hidden, zero font size or opacity, white text with no background of its own,
  the `hidden` attribute. Links with a script scheme lose their target.
- Quoted history (Gmail, Yahoo, Thunderbird and Apple quote blocks) is folded whole unless asked for; a
  quote block that holds a forward is content and stays.
- Layout tables (newsletters are built of them) become lines; a table with header cells stays a table.
- A link shows its text; an image-only link (a banner, a logo, a social icon) its image's alt text or,
  without one, its target's host, unless the same target is linked with text elsewhere; a link with
  nothing a person could see or click is dropped. Long (tracking) URLs and URLs linked more than once
  move to a numbered list at the end, each URL once, so every link still works when handed on; the
  query parameters that only feed a sender's analytics (utm_*, mc_eid, fbclid, ...) are left out.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
SKIP = {"script", "style", "head", "title", "noscript", "template"}
BLOCKS = {"p", "div", "table", "ul", "ol", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
_WHITE = re.compile(r"^(?:#f{3}|#f{6}|white|rgba?\(\s*255\s*,\s*255\s*,\s*255\s*(?:,\s*[\d.]+\s*)?\))$", re.I)
_ZERO = re.compile(r"^0*\.?0*(?:px|pt|em|rem|%)?$")
_UNSAFE_SCHEME = re.compile(r"^\s*(?:javascript|vbscript|data)\s*:", re.I)
_QUOTE_CLASSES = {"gmail_quote", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote", "divrplyfwdmsg"}
TABLE_PARTS = {"table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption"}
# what starts a new element closes an open element whose end tag may be left out
_CLOSED_BY = {
    "p": BLOCKS,
    "li": {"li"},
    "dt": {"dt", "dd"},
    "dd": {"dt", "dd"},
    "tr": {"tr"},
    "td": {"td", "th", "tr"},
    "th": {"td", "th", "tr"},
    "option": {"option"},
}
# a quote block that holds a forward holds content, not history
_FORWARD_MARK = re.compile(
    r"-{3,}\s*(?:Forwarded message|Weitergeleitete Nachricht|Message transféré)\s*-{3,}|Begin forwarded message:", re.I
)
LONG_URL = 100
# query parameters that only tell a sender's analytics where a click came from: the page is the same without
_ANALYTICS = re.compile(
    r"^(?:utm_[a-z_]+|mc_[ce]id|fbclid|gclid|dclid|msclkid|_hsenc|_hsmi|mkt_tok|yclid|igshid)$", re.I
)
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
        self.skipping: list[str] = []  # the open elements of the subtree being left out, outermost first
        self.quote: tuple[int, int] | None = None  # a quote being read: where its tokens start, its depth
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
        while self.skipping and tag in _CLOSED_BY.get(self.skipping[-1], ()):
            self.skipping.pop()  # an element ended without its end tag (and if it was the hidden one, so did that)
        if self.skipping:
            if tag not in VOID:
                self.skipping.append(tag)
            return
        found = dict(attrs)
        if tag in SKIP or invisible(found, self.dark):
            if tag not in VOID:
                self.skipping = [tag]
            return
        if self.fold_quotes and self.quote is None and tag not in VOID and _quote(tag, found):
            self.quote = (len(self.out), len(self.open))
        if tag not in VOID:
            own = background(found)
            self.open.append((tag, own if own is not None else self.dark))
        self._emit_start(tag, attrs, False)

    def end_quote(self) -> None:
        """At the end of a quote: fold it, unless it holds a forward (then it is content, shown as a block)."""
        if self.quote is None:
            return
        start, self.quote = self.quote[0], None
        held = self.out[start:]
        if _FORWARD_MARK.search("".join(t[1] for t in held if isinstance(t, tuple) and t[0] == "data")):
            for i in (start, len(self.out) - 1):
                token = self.out[i]
                if isinstance(token, tuple) and token[1] == "blockquote":
                    self.out[i] = (token[0], "div", [])
            return
        self.out[start:] = [] if self.out[max(0, start - 3) : start] == FOLDED else FOLDED
        self.folded = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skipping and tag not in SKIP and not invisible(dict(attrs), self.dark):
            self._emit_start(tag, attrs, True)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag in self.skipping:
                del self.skipping[len(self.skipping) - 1 - self.skipping[::-1].index(tag) :]
                return
            if all(name != tag for name, _ in self.open):
                return  # a stray end tag
            self.skipping = []  # an element around the hidden one ends, and with it the hidden one
        names = [name for name, _ in self.open]
        if tag in names:
            del self.open[len(names) - 1 - names[::-1].index(tag) :]
        if tag in TABLE_PARTS and self.tables:
            self.out.append(_TablePart(self.tables[-1], ("end", tag, [])))
            if tag == "table":
                self.tables.pop()
        else:
            self.out.append(("end", tag, []))
        if self.quote is not None and len(self.open) <= self.quote[1]:
            self.end_quote()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(("data", data, []))


FOLDED: list[Token] = [("start", "p", []), ("data", "[quoted history folded]", []), ("end", "p", [])]
_MARKUP_CHARS = re.compile(r"([&<>])")


def visible(markup: str, fold_quotes: bool = False) -> tuple[list[Token], bool]:
    """(what a person would see, as tokens; whether quoted history was folded). One pass over the markup; a
    layout table's tags become divs (its cells, lines) once the pass knows it held no header cell."""
    parser = _Visible(fold_quotes)
    parser.feed(markup)
    parser.close()
    parser.end_quote()  # a quote left open to the end of the mail
    data = parser.data_tables
    tokens = [
        p if not isinstance(p, _TablePart) else (p.as_data if p.table in data else (p.as_data[0], "div", []))
        for p in parser.out
    ]
    return _label_image_links(tokens), parser.folded


@dataclass
class _Anchor:
    end: int  # the index of its end tag
    href: str
    text: bool  # whether it holds visible text
    alt: str  # its first image's alt text ("" without an image; its host when the image has no alt)


def _label_image_links(tokens: list[Token]) -> list[Token]:
    """Give an image-only link its image's alt text (or its target's host) as its text, unless the same
    target is linked with text elsewhere: a person sees the banner and can click it, a model reads text."""
    anchors: list[_Anchor] = []
    current: _Anchor | None = None
    for i, (kind, value, attrs) in enumerate(tokens):
        if kind == "start" and value == "a":
            current = _Anchor(-1, (dict(attrs).get("href") or "").strip(), False, "")
        elif current is None:
            continue
        elif kind == "data" and value.strip():
            current.text = True
        elif kind == "start" and value == "img" and not current.alt:
            current.alt = " ".join((dict(attrs).get("alt") or "").split()) or _host(current.href)
        elif kind == "end" and value == "a":
            current.end = i
            anchors.append(current)
            current = None
    texted = {a.href for a in anchors if a.text}
    labels = {a.end: a.alt for a in anchors if a.href and a.alt and not a.text and a.href not in texted}
    if not labels:
        return tokens
    out: list[Token] = []
    for i, token in enumerate(tokens):
        if i in labels:
            out.append(("data", labels[i], []))
        out.append(token)
    return out


def _host(url: str) -> str:
    parts = urlsplit(url)
    return parts.hostname or parts.path or "link"


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


def _links(text: str, keep_analytics: bool) -> str:
    """Drop links without text; move long URLs and URLs linked more than once to a numbered list at the end,
    each URL once (a newsletter links a story from its image, its title and its button)."""

    def target(found: re.Match[str]) -> str:
        url = found.group(2).strip("<>")
        return url if keep_analytics else _plain_url(url)

    times = Counter(target(m) for m in _LINK.finditer(text) if m.group(1).strip())
    notes: dict[str, int] = {}

    def link(found: re.Match[str]) -> str:
        label, url = found.group(1).strip(), target(found)
        if not label:
            return ""
        if len(url) <= LONG_URL and times[url] == 1:
            return f"[{found.group(1)}]({f'<{url}>' if found.group(2).startswith('<') else url})"
        number = notes.setdefault(url, len(notes) + 1)
        return f"{label} [{number}]"

    text = _LINK.sub(link, text)
    if notes:
        text += "\n\nLinks:\n" + "\n".join(f"[{n}] {url}" for url, n in notes.items())
    return text


def _plain_url(url: str) -> str:
    """The URL without its analytics parameters; the rest of it as it was written."""
    base, mark, query = url.partition("?")
    if not mark:
        return url
    query, hash_mark, fragment = query.partition("#")
    kept = [p for p in query.split("&") if p and not _ANALYTICS.match(p.partition("=")[0])]
    return base + ("?" + "&".join(kept) if kept else "") + hash_mark + fragment


def html_to_text(markup: str, include_quoted: bool, *, keep_analytics: bool = False) -> tuple[str, bool]:
    """(the text, whether quoted history was folded). Mail a person sends keeps its URLs as written
    (keep_analytics); mail read for a model loses their analytics parameters."""
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
    text = _links(conv.optwrap(conv.finish()), keep_analytics)
    text = re.sub(r"[\u200b-\u200d\u2060\ufeff\u034f\u00ad]+", "", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"^\\-", "-", text, flags=re.M)  # html2text's Markdown escape of a leading dash: not for reading
    text = re.sub(r"^>\n(?:>\n)+", ">\n", text, flags=re.M)  # a quote's empty lines, once
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text, folded
