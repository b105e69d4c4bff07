"""CSS as outgoing.py needs to read it: whether an inline style hides its element, colours, and every
address a style makes a mail program fetch.

CSS is read after its comments and escapes are undone (`\\75 rl(` is `url(`, `dis/**/play` is not a
property), so the tricks that would slip past a plain text search do not.
"""

from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\r\n\f]?|\\(.)", re.S)
_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.S)
_URL = re.compile(r"url\(\s*(?:\"([^\"]*)\"|'([^']*)'|([^)\s]*))\s*\)", re.I)
_IMPORT = re.compile(r"@import\s+(?:\"([^\"]*)\"|'([^']*)')", re.I)
_IMAGE_SET = re.compile(r"image-set\(([^)]*)\)", re.I)
_QUOTED = re.compile(r"\"([^\"]*)\"|'([^']*)'")
_LENGTH = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(px|pt|pc|em|rem|ex|ch|%|vh|vw|cm|mm|in|q)?$")
# pixels per unit (em and rem at a 16px font; % of a 16px font for font-size)
_PX = {"px": 1.0, "pt": 4 / 3, "pc": 16.0, "em": 16.0, "rem": 16.0, "ex": 8.0, "ch": 8.0, "%": 0.16,
       "vh": 8.0, "vw": 8.0, "cm": 37.8, "mm": 3.78, "in": 96.0, "q": 0.945}  # fmt: skip
TINY = 3.0  # pixels: text smaller than this, or a box thinner, is not read
NAMED = {
    "white": (255, 255, 255), "black": (0, 0, 0), "red": (255, 0, 0), "green": (0, 128, 0), "blue": (0, 0, 255),
    "yellow": (255, 255, 0), "gray": (128, 128, 128), "grey": (128, 128, 128), "silver": (192, 192, 192),
    "whitesmoke": (245, 245, 245), "snow": (255, 250, 250), "ivory": (255, 255, 240), "ghostwhite": (248, 248, 255),
    "floralwhite": (255, 250, 240), "seashell": (255, 245, 238), "linen": (250, 240, 230), "azure": (240, 255, 255),
    "mintcream": (245, 255, 250), "aliceblue": (240, 248, 255), "honeydew": (240, 255, 240), "beige": (245, 245, 220),
    "lavenderblush": (255, 240, 245), "oldlace": (253, 245, 230), "gainsboro": (220, 220, 220),
    "lightgray": (211, 211, 211), "lightgrey": (211, 211, 211), "navy": (0, 0, 128), "maroon": (128, 0, 0),
    "purple": (128, 0, 128), "teal": (0, 128, 128), "olive": (128, 128, 0), "orange": (255, 165, 0),
}  # fmt: skip
Color = tuple[int, int, int, float]
NEAR = 1.25  # a contrast ratio below this (1 is none; 21 is black on white) reads as the background


def css_plain(css: str) -> str:
    """CSS with its comments removed and its escapes undone: what the browser's tokenizer reads."""

    def unescape(found: re.Match[str]) -> str:
        if found.group(1):
            code = int(found.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return found.group(2)

    return _ESCAPE.sub(unescape, _COMMENT.sub("", css))


def style_of(value: str) -> dict[str, str]:
    """An inline style's declarations (the last of each wins, as in a browser), lower-cased, !important dropped."""
    out: dict[str, str] = {}
    for decl in css_plain(value).split(";"):
        name, _, val = decl.partition(":")
        if val.strip():
            out[name.strip().lower()] = val.strip().lower().replace("!important", "").strip()
    return out


def urls_in_css(css: str) -> list[str]:
    plain = css_plain(css)
    found = [next(g for g in m.groups() if g is not None) for m in _URL.finditer(plain)]
    found += [m.group(1) or m.group(2) or "" for m in _IMPORT.finditer(plain)]
    for inner in _IMAGE_SET.finditer(plain):  # image-set("a.png" 1x) takes bare strings too
        found += [m.group(1) or m.group(2) or "" for m in _QUOTED.finditer(inner.group(1))]
    return [u.strip() for u in found if u.strip()]


def _px(value: str) -> float | None:
    found = _LENGTH.match(value.strip())
    if not found:
        return None
    number = float(found.group(1))
    return number * _PX[found.group(2)] if found.group(2) else number


def hidden_by_style(style: dict[str, str]) -> str | None:
    """Why an element's own inline style keeps its text from being seen (None: it does not)."""
    if style.get("display") == "none":
        return "display:none"
    if style.get("visibility") in ("hidden", "collapse"):
        return f"visibility:{style['visibility']}"
    if "opacity" in style:
        raw = style["opacity"]
        try:
            opacity = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
        except ValueError:
            opacity = 1.0
        if opacity <= 0.1:
            return f"opacity:{raw}"
    if style.get("mso-hide") == "all":
        return "mso-hide:all"
    size = _px(style.get("font-size", ""))
    if size is not None and size < TINY:
        return f"font-size:{style['font-size']}"
    for prop in ("height", "max-height", "width", "max-width", "line-height"):
        length = _px(style.get(prop, ""))
        if length is not None and length < TINY and (prop != "line-height" or "overflow" in style):
            return f"{prop}:{style[prop]}"
    indent = _px(style.get("text-indent", ""))
    if indent is not None and indent <= -100:
        return f"text-indent:{style['text-indent']} (off-screen)"
    if style.get("position") in ("absolute", "fixed"):
        for side in ("left", "top", "right", "bottom"):
            offset = _px(style.get(side, ""))
            if offset is not None and (offset <= -100 or offset >= 5000):
                return f"position:{style['position']}; {side}:{style[side]} (off-screen)"
    for prop in ("margin-left", "margin-top"):
        margin = _px(style.get(prop, ""))
        if margin is not None and margin <= -1000:
            return f"{prop}:{style[prop]} (off-screen)"
    if "clip" in style or "clip-path" in style:
        return "clipped (" + "; ".join(f"{p}:{style[p]}" for p in ("clip", "clip-path") if p in style) + ")"
    if re.search(r"scale[xy]?\(\s*0*\.?0*\s*[,)]", style.get("transform", "")):
        return f"transform:{style['transform']}"
    return None


def parse_color(value: str) -> Color | None:
    """#rgb, #rrggbb (#rgba, #rrggbbaa), rgb()/rgba(), a common name or transparent; None when unknown."""
    value = value.strip().lower()
    if value == "transparent":
        return (0, 0, 0, 0.0)
    if value in NAMED:
        return (*NAMED[value], 1.0)
    hexed = re.fullmatch(r"#?([0-9a-f]{3,8})", value)
    if hexed and len(hexed.group(1)) in (3, 4, 6, 8):
        digits = hexed.group(1)
        if len(digits) in (3, 4):
            digits = "".join(c * 2 for c in digits)
        alpha = int(digits[6:8], 16) / 255 if len(digits) == 8 else 1.0
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16), alpha)
    func = re.fullmatch(r"rgba?\(\s*([\d.]+%?)[\s,]+([\d.]+%?)[\s,]+([\d.]+%?)(?:[\s,/]+([\d.]+%?))?\s*\)", value)
    if func:

        def channel(raw: str, scale: float) -> float:
            return float(raw[:-1]) / 100 * scale if raw.endswith("%") else float(raw)

        try:
            rgb = [max(0, min(255, round(channel(c, 255)))) for c in func.groups()[:3]]
            alpha = channel(func.group(4), 1.0) if func.group(4) else 1.0
        except ValueError:
            return None
        return (rgb[0], rgb[1], rgb[2], alpha)
    return None


def _luminance(color: Color) -> float:
    def lin(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b, _ = color
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def dimmed(color: Color | None, background: Color | None) -> str | None:
    """Why text in `color` on `background` cannot be read (transparent, or too close to it); None: it can,
    or the colours are unknown (an image behind it)."""
    if color is None:
        return None
    if color[3] <= 0.1:
        return "transparent text"
    if background is None:
        return None
    light, dark = sorted((_luminance(color), _luminance(background)), reverse=True)
    ratio = (light + 0.05) / (dark + 0.05)
    if ratio < NEAR:
        shown = "#{:02x}{:02x}{:02x}".format(*color[:3])
        behind = "#{:02x}{:02x}{:02x}".format(*background[:3])
        return f"text colour {shown} on background {behind}"
    return None
