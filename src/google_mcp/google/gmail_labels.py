"""Gmail's labels as a person knows them: every answer shows a label by name, and every name shown is one
gmail_modify_labels takes back.

System labels by a short name (inbox, unread, starred, ...), Gmail's categories as its search spells them
(category:promotions), user labels by the name the person gave them (their ids, Label_n, say nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

SYSTEM = {"INBOX": "inbox", "UNREAD": "unread", "STARRED": "starred", "IMPORTANT": "important", "SENT": "sent",
          "DRAFT": "draft", "SPAM": "spam", "TRASH": "trash", "CHAT": "chat",
          "CATEGORY_PERSONAL": "category:primary", "CATEGORY_SOCIAL": "category:social",
          "CATEGORY_PROMOTIONS": "category:promotions", "CATEGORY_UPDATES": "category:updates",
          "CATEGORY_FORUMS": "category:forums"}  # fmt: skip
# names a model may give for a system label: the ones shown, and a few verbs
ALIASES = {name: label for label, name in SYSTEM.items()} | {
    "read": "UNREAD",
    "archive": "INBOX",
    "star": "STARRED",
    "primary": "CATEGORY_PERSONAL",
}
_SYSTEM_ID = re.compile(r"[A-Z_]+")  # Gmail's own labels; a user label's id is Label_n


def is_system(label_id: str) -> bool:
    return bool(_SYSTEM_ID.fullmatch(label_id))


def guessed(name: str) -> bool:
    """A label Gmail guessed (a category, "important") rather than one the person or their mail set."""
    return name == "important" or name.startswith("category:")


def name_of(label_id: str, names: Mapping[str, str]) -> str:
    """A label's name: system labels by a short name, categories as search spells them, user labels by
    theirs (by id when the name is not known)."""
    if label_id in SYSTEM:
        return SYSTEM[label_id]
    if label_id.startswith("CATEGORY_"):
        return "category:" + label_id.removeprefix("CATEGORY_").lower()
    if is_system(label_id):
        return label_id.lower()
    return names.get(label_id, label_id)


def system_id(name: str) -> str | None:
    """The system label a shown name (or a verb like "archive") stands for."""
    key = name.strip().lower()
    if key in ALIASES:
        return ALIASES[key]
    if key.startswith("category:") and is_system(key.removeprefix("category:").upper()):
        return "CATEGORY_" + key.removeprefix("category:").upper()
    return None


def names_of(label_ids: Iterable[str], names: Mapping[str, str]) -> list[str]:
    return [name_of(x, names) for x in label_ids]


def unknown(label_ids: Iterable[str], names: Mapping[str, str]) -> bool:
    """True when a user label is not among the names (made since they were read)."""
    return any(not is_system(x) and x not in names for x in label_ids)
