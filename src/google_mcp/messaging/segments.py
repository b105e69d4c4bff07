"""How many SMS segments a text takes, as a handset and Twilio split it (3GPP TS 23.038 and 23.040).

A text is GSM-7 when every character is in the basic set or its extension table; an extension character
is sent as an escape and the character, two septets. Anything else makes the whole text UCS-2, counted in
UTF-16 code units (a character beyond the BMP, e.g. most emoji, is a surrogate pair: two units).

One segment holds 160 septets (70 units); a longer text is split in segments of 153 (67), each losing
room to its concatenation header. A character is never split across two segments: an escape pair that
would start in a segment's last septet moves to the next segment, as a surrogate pair does.

The table is written out here rather than taken from a package: the one codec on PyPI (gsm0338) is a
codec, not a counter, and counts the ESC control character as a basic one; the table is fixed by the
standard, and tests pin it.
"""

from __future__ import annotations

from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"  # 0x1B, the escape, is not a character of its own
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE = {"GSM-7": 160, "UCS-2": 70}
SPLIT = {"GSM-7": 153, "UCS-2": 67}


def encoding(text: str) -> Encoding:
    return "GSM-7" if all(ch in BASIC or ch in EXTENSION for ch in text) else "UCS-2"


def _sizes(text: str, kind: Encoding) -> list[int]:
    """Each character's size: septets (GSM-7) or UTF-16 code units (UCS-2)."""
    if kind == "GSM-7":
        return [2 if ch in EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def count(text: str) -> tuple[Encoding, int]:
    """(the encoding, the number of segments) of `text`."""
    kind = encoding(text)
    sizes = _sizes(text, kind)
    if sum(sizes) <= SINGLE[kind]:
        return kind, 1
    room, parts, used = SPLIT[kind], 1, 0
    for size in sizes:
        if used + size > room:  # it does not fit whole: it starts the next segment
            parts, used = parts + 1, 0
        used += size
    return kind, parts
