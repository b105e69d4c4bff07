"""HTML as a person sees it: what a mail client would not show never reaches the model.

A hostile sender hides instructions for the model in text the reader never sees: display:none,
visibility:hidden, zero font size or opacity, white text with no background of its own, the `hidden`
attribute. Links with a script scheme lose their target. The result is HTML again, for html2text.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
SKIP = {"script", "style", "head", "title", "noscript", "template"}
# elements whose end tag may be left out: a new one (or a block) closes them
OPTIONAL_END = {"p", "li", "dt", "dd", "tr", "td", "th", "option"}
BLOCKS = {"p", "div", "table", "ul", "ol", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
_WHITE = re.compile(r"^(?:#f{3}|#f{6}|white|rgba?\(\s*255\s*,\s*255\s*,\s*255\s*(?:,\s*[\d.]+\s*)?\))$", re.I)
_ZERO = re.compile(r"^0*\.?0*(?:px|pt|em|rem|%)?$")
_UNSAFE_SCHEME = re.compile(r"^\s*(?:javascript|vbscript|data)\s*:", re.I)


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


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping: str | None = None  # the tag whose subtree is being left out
        self.depth = 0
        self.open: list[tuple[str, bool]] = []  # open elements, and whether a non-white background is behind them

    @property
    def dark(self) -> bool:
        return self.open[-1][1] if self.open else False

    def _emit_start(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        kept = []
        for name, value in attrs:
            if name.startswith("on") or (name in ("href", "src") and value and _UNSAFE_SCHEME.match(value)):
                continue
            kept.append(f' {name}="{html.escape(value or "", quote=True)}"' if value is not None else f" {name}")
        self.out.append(f"<{tag}{''.join(kept)}{' /' if closed else ''}>")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping is not None:
            if self.depth == 1 and self.skipping in OPTIONAL_END and (tag == self.skipping or tag in BLOCKS):
                self.skipping, self.depth = None, 0  # the hidden element ended without its end tag
            else:
                if tag not in VOID:
                    self.depth += 1
                return
        found = dict(attrs)
        if tag in SKIP or invisible(found, self.dark):
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
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self.skipping is None:
            self.out.append(html.escape(data, quote=False))


def visible_html(markup: str) -> str:
    parser = _Visible()
    parser.feed(markup)
    parser.close()
    return "".join(parser.out)
