"""Text from mail bytes whose label may lie: decoded strictly, then by the likely charsets, replaced last.

Real mail is often mislabelled: UTF-8 sent as us-ascii, Latin-1 or GB2312; Latin-1 sent as UTF-8;
Windows code pages behind their ISO names; Microsoft's names (`ks_c_5601-1987`). The rules:
- a single-byte label (which decodes any bytes, so proves nothing) yields to UTF-8 when the bytes are
  valid UTF-8 with non-ASCII characters in them;
- otherwise the declared charset, strictly; then UTF-8; then the label's superset (gb18030 for GB2312,
  cp949 for EUC-KR, cp932 for Shift_JIS, cp1252 for Latin-1 and ASCII); U+FFFD only as a last resort.
- No text leaves here with a lone surrogate (a lenient UTF-7 decode makes them; JSON cannot carry them).
"""

from __future__ import annotations

import codecs
import email.header
import re

ALIASES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ksc5601": "cp949",
    "x-sjis": "cp932",
    "shift-jis": "shift_jis",
    "unicode-1-1-utf-7": "utf-7",
    "iso-8859-8-i": "iso-8859-8",
    "x-user-defined": "cp1252",
    "x-gbk": "gbk",
    "gb_2312-80": "gb2312",
    "cn-gb": "gb2312",
    "x-euc-jp": "euc_jp",
    "x-mac-roman": "mac_roman",
    "utf8": "utf-8",
    "ansi_x3.4-1968": "ascii",
    "646": "ascii",
    "windows-874": "cp874",
    "tis-620": "cp874",
}
# what a label means in practice (as browsers read it): "ISO-8859-1" and "US-ASCII" mail is Windows-1252
MEANT = {"iso8859-1": "cp1252", "ascii": "cp1252", "iso8859-9": "cp1254"}
SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "euc_jp": "cp932",
    "big5": "big5hkscs",
    "cp1252": "iso8859-1",
    "iso8859-15": "cp1252",
}
_SINGLE_BYTE = re.compile(r"^(?:iso8859-\d+|cp125\d|koi8[-_]\w|mac_\w+|ascii|cp437|cp850|cp874)$")
_SEVEN_BIT = ("utf-7", "iso2022", "hz")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def codec(label: str | None) -> str | None:
    """The Python codec for a charset label, or None when it names none."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def clean(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def decode_bytes(data: bytes, declared: str | None) -> str:
    name = codec(declared)
    name = MEANT.get(name or "", name)
    non_ascii = any(b > 0x7F for b in data)
    if not non_ascii and not (name or "").startswith(_SEVEN_BIT):
        return clean(data.decode("ascii"))
    if name is None or _SINGLE_BYTE.match(name):
        as_utf8 = _utf8(data)
        if as_utf8 is not None:
            return clean(as_utf8)
    tried = []
    for candidate in (name, "utf-8", SUPERSETS.get(name or "", "cp1252")):
        if candidate is None or candidate in tried:
            continue
        tried.append(candidate)
        try:
            return clean(data.decode(candidate))
        except (UnicodeDecodeError, LookupError):
            continue
    return clean(data.decode(name or "utf-8", errors="replace"))


def decode_header(value: str | None) -> str:
    """A header value as text: RFC 2047 words each decoded with the same fallbacks, raw 8-bit bytes too.

    Raw 8-bit bytes arrive as surrogate escapes (the stdlib's parsers keep them that way)."""
    if not value:
        return ""
    if _SURROGATE.search(value):
        value = decode_bytes(value.encode("utf-8", "surrogateescape"), None)
    if "=?" not in value:
        return clean(value)
    try:
        words = email.header.decode_header(value)
    except (email.errors.HeaderParseError, ValueError):
        return clean(value)
    out = []
    for chunk, charset in words:
        if isinstance(chunk, str):
            out.append(chunk)
        else:
            out.append(decode_bytes(chunk, charset))
    # decode_header drops the whitespace between an encoded word and plain text; join as the RFC means
    text = ""
    for i, piece in enumerate(out):
        if i and words[i - 1][1] is None and not text.endswith(" ") and words[i][1] is not None:
            text += " "
        text += piece
    return clean(re.sub(r"\s+", " ", text).strip())
