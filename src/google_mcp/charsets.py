"""Text from mail bytes whose label may lie: decoded strictly, then by the likely charsets, replaced last.

Real mail is often mislabelled: UTF-8 sent as us-ascii, Latin-1 or GB2312; Latin-1 sent as UTF-8;
Windows code pages behind their ISO names; Microsoft's names (`ks_c_5601-1987`); no label at all;
a part labelled UTF-8 whose footer or quote was pasted in as Latin-1. The rules:
- a single-byte label (which decodes any bytes, so proves nothing) yields to UTF-8 when the bytes are
  valid UTF-8 with non-ASCII characters in them;
- no label (or us-ascii over 8-bit bytes), and a UTF-8 label the bytes break: valid UTF-8 runs are
  UTF-8 and the rest cp1252, unless the bytes are mostly not UTF-8 and a detector (charset-normalizer)
  finds a charset that is not a Western one (Big5, GBK, Shift_JIS, KOI8-R, cp1250 ...);
- otherwise the declared charset, strictly; then UTF-8; then the label's superset (gb18030 for GB2312,
  cp949 for EUC-KR, cp932 for Shift_JIS, cp1252 for Latin-1 and ASCII); U+FFFD only as a last resort;
- UTF-7 leniently: each `+...-` run that decodes to text is decoded, the others stay as written;
- bytes that are not text at all (binary data under a text label) are told apart, not decoded (`text_of`).
- No text leaves here with a lone surrogate (a lenient UTF-7 decode makes them; JSON cannot carry them).
"""

from __future__ import annotations

import codecs
import email.header
import re
import unicodedata

from charset_normalizer import from_bytes

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
MEANT = {"iso8859-1": "cp1252", "iso8859-9": "cp1254"}
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
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_UTF7_RUN = re.compile(rb"\+([A-Za-z0-9+/]*)-?")
# control characters no text carries (tab, line ends, form feed and escape, which ISO-2022 uses, aside)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f\ufffd]")
BINARY_SHARE = 0.02  # more control characters than this (and at least two) and the bytes are data, not text
DETECT_MIN = 16  # non-ASCII bytes a detector needs to tell one legacy charset from another
_ASCII_BYTES = bytes(range(128))
WESTERN = {"cp1252", "iso8859_1", "latin_1", "iso8859_15"}
WESTERN_SLACK = 0.05  # how much more "mess" a Western reading may show than the detector's pick and still win


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


def _cp1252_runs(err: UnicodeError) -> tuple[str, int]:
    """The codec error handler behind `mixed`: what is not UTF-8 is read as cp1252."""
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return err.object[err.start : err.end].decode("cp1252", errors="replace"), err.end


codecs.register_error("google_mcp.cp1252", _cp1252_runs)


def mixed(data: bytes) -> str:
    """Valid UTF-8 runs as UTF-8, every other byte as cp1252 (what a label that lies in part means)."""
    return data.decode("utf-8", errors="google_mcp.cp1252")


def _utf7(data: bytes) -> str:
    """UTF-7 run by run: a run that does not decode stays as written, and the rest still reads."""
    out, pos = [], 0
    for run in _UTF7_RUN.finditer(data):
        out.append(mixed(data[pos : run.start()]))
        pos = run.end()
        if not run.group(1):
            out.append("+" if run.group(0) == b"+-" else mixed(run.group(0)))
            continue
        try:
            text = (b"+" + run.group(1) + b"-").decode("utf-7")
        except UnicodeDecodeError:
            text = ""
        # a lone surrogate, private or unassigned code point: not text but a '+' in other data (PGP armour)
        valid = text and not any(unicodedata.category(c) in ("Cs", "Co", "Cn") for c in text)
        out.append(text if valid else mixed(run.group(0)))
    out.append(mixed(data[pos:]))
    return "".join(out)


def _detected(data: bytes) -> str | None:
    """A legacy charset for bytes that are mostly not UTF-8, when a detector finds one that is not Western
    (the Western ones are left to `mixed`, which also reads any UTF-8 runs among them)."""
    non_ascii = len(data.translate(None, _ASCII_BYTES))
    in_utf8 = sum(len(s) for s in _UTF8_SEQUENCE.findall(data))
    if non_ascii < DETECT_MIN or in_utf8 * 2 >= non_ascii:
        return None
    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    # Western text fits cp1250, cp1257 and cp1252 about alike and the detector may name any; mail means cp1252
    # unless another reads it as more of one language (Turkish in cp1254)
    for match in matches:
        if (
            match.chaos <= best.chaos + WESTERN_SLACK
            and match.coherence >= best.coherence
            and WESTERN.intersection(match.could_be_from_charset)
        ):
            return None
    name = codec(best.encoding)
    return SUPERSETS.get(name or "", name)


def text_of(data: bytes, declared: str | None) -> str | None:
    """The text of a part's bytes, or None when they are binary data whatever their label says: random or
    compressed bytes leave about 11 % control characters whichever charset reads them, text next to none."""
    text = decode_bytes(data, declared)
    bad = len(_CONTROL.findall(text))
    return None if bad >= 2 and bad > len(text) * BINARY_SHARE else text


def decode_bytes(data: bytes, declared: str | None) -> str:
    name = codec(declared)
    if name == "utf-7":
        return clean(_utf7(data))
    if data.isascii() and not (name or "").startswith(_SEVEN_BIT):
        return clean(data.decode("ascii"))
    name = None if name == "ascii" else MEANT.get(name or "", name)  # us-ascii over 8-bit bytes says nothing
    if name is None or name == "utf-8" or _SINGLE_BYTE.match(name):
        as_utf8 = _utf8(data)
        if as_utf8 is not None:
            return clean(as_utf8)
    if name is None or name == "utf-8":
        found = _detected(data)
        if found is not None:
            try:
                return clean(data.decode(found))
            except (UnicodeDecodeError, LookupError):
                pass
        return clean(mixed(data))
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
