"""Outgoing HTML as a person must judge it: everything that will be sent, nothing left out.

The incoming-mail reader (htmltext.py) drops what a reader would not see, to keep a hostile sender's
hidden text from a model. Sending is the other way round: a model steered by a hostile mail can hide
text, or data in an image's address, under an honest-looking preview. So here every piece of text is
shown, either as what the reader sees or, marked, as hidden (with why); every address the mail makes a
mail program fetch is listed whole, as is every link's target, every comment, form and refresh.

Completeness does not depend on telling visible from hidden right: each text node lands in one of the
two lists. Telling them apart decides only how it is labelled and whether the send may be auto-approved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from google_mcp.google.outcss import (
    css_plain,
    dimmed,
    hidden_by_style,
    parse_color,
    style_of,
    urls_in_css,
)

SOURCE_SHOWN = 2000  # HTML up to this many characters is also shown as written
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
BLOCKS = {"p", "div", "table", "tr", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
          "section", "article", "header", "footer", "dl", "dt", "dd", "center", "hr", "form", "address"}  # fmt: skip
# elements whose text a mail program never shows as text
NOT_SHOWN = {"title": "in <title>", "template": "in <template>", "script": "in a <script> (never run)"}
# attributes whose address a mail program fetches when the mail is opened, by element
FETCHED = {
    "img": ("src", "lowsrc", "dynsrc"),
    "input": ("src",),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "source": ("src",),
    "track": ("src",),
    "script": ("src",),
    "object": ("data", "codebase", "archive"),
    "applet": ("code", "codebase", "archive"),
    "image": ("href", "xlink:href"),  # SVG
    "use": ("href", "xlink:href"),
    "feimage": ("href", "xlink:href"),
}
KIND = {"img": "image", "input": "image", "source": "media", "image": "image", "use": "SVG", "feimage": "image"}
SAFE_LINK = ("http", "https", "mailto", "tel")
_HOST_IN_TEXT = re.compile(r"(?:[a-z][a-z0-9+.-]*://)?(?:[^\s@/]+@)?((?:[a-z0-9-]+\.)+[a-z]{2,})", re.I)
_WS = re.compile(r"\s+")
BREAK = "\x00"  # a line break the markup makes (never in text: a NUL there is shown as U+FFFD)
_REFRESH = re.compile(r"url\s*=\s*['\"]?([^'\"]+)", re.I)


@dataclass
class Link:
    href: str
    text: str = ""
    hidden: str | None = None  # why it is not visible, if not
    image: bool = False


@dataclass
class _Hidden:
    why: str
    text: list[str] = field(default_factory=list)


@dataclass
class _Open:
    tag: str
    hidden: _Hidden | None
    color: tuple[int, int, int, float] | None  # the text colour in force
    background: tuple[int, int, int, float] | None  # the background behind it (None: unknown, an image)


@dataclass
class Listing:
    """Everything an HTML body sends, in the order a person should read it."""

    visible: str
    hidden: list[tuple[str, str]]  # (why it is not seen, its text)
    resources: list[tuple[str, str]]  # (what kind, full address), in order, once each
    links: list[Link]
    comments: list[str]
    forms: list[str]  # form actions, refreshes, a <base>: where the mail sends the reader or their input
    style_sheets: list[str]

    def concerns(self) -> list[str]:
        """What the preview would have to point out for the person to see it: why this is never auto-approved."""
        found: list[str] = []
        counted = [
            (len([h for h in self.hidden if h[1]]), "hidden text"),
            (len(self.remote), "remote resource (its address is fetched when the mail is opened)"),
            (len(self.embedded), "embedded data: resource (the preview cannot show what it looks like)"),
            (len(self.comments), "HTML comment"),
            (len([lk for lk in self.links if not lk.text and not lk.image]), "link without text"),
            (len([lk for lk in self.links if lk.hidden]), "hidden link"),
            (len([lk for lk in self.links if misleading(lk)]), "link whose text names another address"),
            (len([lk for lk in self.links if unusual(lk.href)]), "link that is not http, https, mailto or tel"),
            (len(self.forms), "form, refresh or base address"),
            (len(self.style_sheets), "style sheet (its rules can hide or add text)"),
        ]
        for n, what in counted:
            if n:
                found.append(f"{n} {what}" if n == 1 else f"{n} × {what}")
        return found

    @property
    def embedded(self) -> list[tuple[str, str]]:
        return [(kind, url) for kind, url in self.resources if url.lower().startswith("data:")]

    @property
    def remote(self) -> list[tuple[str, str]]:
        return [(kind, url) for kind, url in self.resources if not url.lower().startswith(("cid:", "data:"))]


def _host(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() == "mailto":
        return parts.path.rpartition("@")[2].lower()
    return (parts.hostname or "").lower()


def unusual(href: str) -> bool:
    scheme = urlsplit(href.strip()).scheme.lower()
    return bool(scheme) and scheme not in SAFE_LINK


def misleading(link: Link) -> bool:
    """The link's text names a host (or address) other than the one it goes to."""
    named = _HOST_IN_TEXT.search(link.text)
    if not named:
        return False
    shown, target = named.group(1).lower().rstrip("."), _host(link.href)
    return not (target == shown or target.endswith("." + shown))


def _srcset(value: str) -> list[str]:
    urls = []
    for token in value.split():
        if re.fullmatch(r"\d+(?:\.\d+)?[wxh],?", token):
            continue
        urls.append(token.rstrip(","))
    return [u for u in urls if u]


class _Walker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[_Open] = []
        self.visible: list[str] = []
        self.hidden: list[_Hidden] = []
        self.resources: list[tuple[str, str]] = []
        self.links: list[Link] = []
        self.link: Link | None = None
        self.comments: list[str] = []
        self.forms: list[str] = []
        self.style_sheets: list[str] = []
        self.in_style = 0

    # what is in force where the parser is -----------------------------------------------
    @property
    def _here(self) -> _Open:
        return self.open[-1] if self.open else _Open("", None, (0, 0, 0, 1.0), (255, 255, 255, 1.0))

    def _resource(self, kind: str, url: str) -> None:
        url = url.strip()
        if url and (kind, url) not in self.resources:
            self.resources.append((kind, url))

    def _element(self, tag: str, attrs: dict[str, str | None]) -> _Open:
        """The state inside this element: whether (and why) it is hidden, its colours."""
        here = self._here
        style = style_of(attrs.get("style") or "")
        color, background = here.color, here.background
        if tag == "font" and attrs.get("color"):
            color = parse_color(attrs["color"] or "") or color
        if tag == "body" and attrs.get("text"):
            color = parse_color(attrs["text"] or "") or color
        if "color" in style:
            color = parse_color(style["color"]) or color
        own_bg = style.get("background-color") or style.get("background") or attrs.get("bgcolor")
        if attrs.get("background") or "url(" in (style.get("background") or "") or "background-image" in style:
            background = None  # an image behind: its colours are unknown
        elif own_bg:
            painted = parse_color(own_bg.split()[0]) if own_bg.split() else None
            background = painted if painted is not None and painted[3] > 0 else background
        if here.hidden is not None:
            return _Open(tag, here.hidden, color, background)
        why = NOT_SHOWN.get(tag)
        if why is None and "hidden" in attrs:
            why = "the hidden attribute"
        why = why or hidden_by_style(style) or dimmed(color, background)
        if why is None:
            return _Open(tag, None, color, background)
        self.hidden.append(_Hidden(why))
        return _Open(tag, self.hidden[-1], color, background)

    # the parser's events ------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self._addresses(tag, found)
        if tag == "style":
            self.in_style += 1
            self.style_sheets.append("")
            return
        state = self._element(tag, found)
        if tag == "input" and (found.get("type") or "").lower() == "hidden":
            self.hidden.append(
                _Hidden("a hidden form field", [f"{found.get('name') or ''}={found.get('value') or ''}"])
            )
        if tag in BLOCKS or tag in ("br", "td", "th"):
            self._text_break(state, " " if tag in ("td", "th") else BREAK)
        if tag == "img" and self.link is not None:
            self.link.image = True
            alt = (found.get("alt") or "").strip()
            if alt:
                self.link.text += f" [image: {alt}]"
        if tag in ("a", "area") and found.get("href") is not None:
            self.link = Link((found.get("href") or "").strip(), hidden=state.hidden.why if state.hidden else None)
            self.links.append(self.link)
            if tag == "area":
                self.link.text = found.get("alt") or ""
                self.link = None
        if tag not in VOID:
            self.open.append(state)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # in HTML `<div style="display:none"/>` opens a div, as a browser reads it: what follows is inside
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self.in_style = max(0, self.in_style - 1)
            self._sheet_read()
            return
        if tag == "a":
            self.link = None
        names = [o.tag for o in self.open]
        if tag in names:
            del self.open[len(names) - 1 - names[::-1].index(tag) :]
        if tag in BLOCKS:
            self._text_break(self._here, BREAK)

    def _text_break(self, state: _Open, mark: str) -> None:
        target = state.hidden.text if state.hidden is not None else self.visible
        target.append(mark)

    def handle_data(self, data: str) -> None:
        if self.in_style:
            self.style_sheets[-1] += data  # its addresses are read once it is whole
            return
        data = data.replace(BREAK, "\ufffd")
        here = self._here
        (here.hidden.text if here.hidden is not None else self.visible).append(data)
        if self.link is not None:
            self.link.text += data

    def _sheet_read(self) -> None:
        if self.style_sheets:
            for url in urls_in_css(self.style_sheets[-1]):
                self._resource("in a style sheet", url)

    def handle_comment(self, data: str) -> None:
        self.comments.append(f"<!--{data}-->")

    def unknown_decl(self, data: str) -> None:
        self.comments.append(f"<![{data}]>")

    def handle_pi(self, data: str) -> None:
        self.comments.append(f"<?{data}>")

    # addresses ---------------------------------------------------------------------------
    def _addresses(self, tag: str, attrs: dict[str, str | None]) -> None:
        kind = KIND.get(tag, tag)
        if tag == "img" and (attrs.get("alt") or "").strip():
            kind += f' (alt text "{(attrs.get("alt") or "").strip()}", shown where images are not)'
        for name in FETCHED.get(tag, ()):
            if attrs.get(name):
                self._resource(kind if name != "poster" else "video poster", attrs[name] or "")
        if tag in ("img", "source") and attrs.get("srcset"):
            for url in _srcset(attrs["srcset"] or ""):
                self._resource(kind, url)
        if attrs.get("background"):
            self._resource("background image", attrs["background"] or "")
        for url in urls_in_css(attrs.get("style") or ""):
            self._resource("in a style attribute", url)
        if tag == "link" and attrs.get("href"):
            self._resource(f"<link rel={attrs.get('rel') or ''}>".replace(" rel=>", ">"), attrs["href"] or "")
            if "stylesheet" in (attrs.get("rel") or "").lower():
                self.style_sheets.append(f"(fetched from {attrs['href']})")
        if tag == "form":
            self.forms.append(f"form sends to {attrs.get('action') or '(this page)'} ({attrs.get('method') or 'get'})")
        for name in ("formaction", "ping"):
            if attrs.get(name):
                self.forms.append(f"{tag} {name}: {attrs[name]}")
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            target = _REFRESH.search(attrs.get("content") or "")
            self.forms.append(f"refresh to {target.group(1).strip() if target else attrs.get('content') or ''}")
        if tag == "base" and attrs.get("href"):
            self.forms.append(f"base address for every link: {attrs['href']}")


def _tidy(pieces: list[str]) -> str:
    """Whitespace as a browser collapses it; BREAK (a block's edge, a <br>) as a new line."""
    text = _WS.sub(" ", "".join(pieces)).replace(BREAK, "\n")
    return re.sub(r" *\n[ \n]*", "\n", text).strip()


def listing(markup: str) -> Listing:
    walker = _Walker()
    # a comment never closed hides everything after it from a browser (Python's parser would make it text)
    opened = markup.rfind("<!--")
    unclosed = opened >= 0 and markup.find("-->", opened + 4) < 0
    walker.feed(markup[:opened] if unclosed else markup)
    walker.close()
    if unclosed:
        walker.comments.append(f"{markup[opened:]} (a comment never closed: it hides all that follows)")
    if walker.in_style:  # a <style> never closed
        walker._sheet_read()
    # text the parser still held (an unclosed comment or tag at the end) is sent too
    tail = walker.rawdata
    if tail:
        walker.comments.append(f"(unfinished markup at the end) {tail}")
    return Listing(
        visible=_tidy(walker.visible),
        hidden=[(h.why, _tidy(h.text)) for h in walker.hidden if _tidy(h.text)],
        resources=walker.resources,
        links=[Link(lk.href, _tidy([lk.text]), lk.hidden, lk.image) for lk in walker.links],
        comments=walker.comments,
        forms=walker.forms,
        style_sheets=[css_plain(s) for s in walker.style_sheets if s.strip()],
    )


def describe(markup: str) -> tuple[list[str], list[str]]:
    """(preview lines for an HTML body, what in it a person must be shown before it goes: empty if nothing)."""
    found = listing(markup)
    lines = [f"HTML body ({len(markup)} characters of HTML). What the reader sees:\n{found.visible or '(nothing)'}"]
    if found.hidden:
        lines.append(
            "Hidden in the HTML (sent, but a reader does not see it):\n"
            + "\n".join(f"- {why}: {text}" for why, text in found.hidden)
        )
    if found.resources:
        lines.append(
            "Resources the mail loads (a web address is fetched when the mail is opened; the address can carry data):\n"
            + "\n".join(f"- {kind}: {url}" for kind, url in found.resources)
        )
    if found.links:
        rows = []
        for lk in found.links:
            notes = [
                n
                for n in (
                    lk.hidden and f"hidden: {lk.hidden}",
                    misleading(lk) and "its text names another address",
                    unusual(lk.href) and "unusual scheme",
                )
                if n
            ]
            label = f'"{lk.text}"' if lk.text else ("(an image)" if lk.image else "(no text)")
            rows.append(f"- {label} → {lk.href}" + (f" ({'; '.join(notes)})" if notes else ""))
        lines.append("Links:\n" + "\n".join(rows))
    if found.comments:
        lines.append("HTML comments and the like (sent, not shown):\n" + "\n".join(f"- {c}" for c in found.comments))
    if found.forms:
        lines.append("Forms, refreshes and base addresses:\n" + "\n".join(f"- {f}" for f in found.forms))
    if found.style_sheets:
        lines.append("Style sheets (their rules can hide or add text):\n" + "\n".join(found.style_sheets))
    if len(markup) <= SOURCE_SHOWN:
        lines.append(f"HTML as written:\n{markup}")
    return lines, found.concerns()
