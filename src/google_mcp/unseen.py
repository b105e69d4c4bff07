"""Characters a person cannot see, written out in what they are shown before a write (mail, Slack, SMS):
a model steered by someone else's text could otherwise hide words, or data, in a preview that looks clean."""

from __future__ import annotations

import re

# characters a person cannot see that change what text says or carry data: bidi controls, zero-width
# characters, Unicode tag characters (which spell ASCII invisibly) and the variation selectors that are
# not emoji presentation (U+FE0E and U+FE0F stay: emoji use them)
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b\u200c\u200e\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0d\ufeff\uffa0\U000e0000-\U000e0fff]+"
)
_TAGS = re.compile("[\U000e0000-\U000e007f]+")


def shown_plainly(text: str) -> tuple[str, int]:
    """`text` with each invisible character written out (a run of tag characters spelled as what it says),
    and how many runs there were."""

    def spell(found: re.Match[str]) -> str:
        return f"⟨invisible tag characters spelling {''.join(chr(ord(c) - 0xE0000) for c in found.group(0))!r}⟩"

    text, tagged = _TAGS.subn(spell, text)
    text, other = _INVISIBLE.subn(lambda found: "".join(f"⟨U+{ord(c):04X}⟩" for c in found.group(0)), text)
    return text, tagged + other
