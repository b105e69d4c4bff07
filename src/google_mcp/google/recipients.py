"""Recipients that may be names: what counts as an address and what as a name, and the one lookup behind
gmail_send, gmail_create_draft, calendar guests and sms_send.

The rule: for mail and guests, anything with an "@" is an address and is used as given (never looked up);
for texts, anything made only of digits, spaces and + ( ) . - / is a number. Everything else is a name,
looked up in the person's contacts, the people they wrote to and (in a Workspace domain) the directory.
A name resolves only when everyone it matches comes to exactly one address (or number); otherwise the call
is refused with the candidates. The preview shows each resolution as "name → address (from where)", the
address always written out, so a contact named after someone else cannot hide where mail goes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from google_mcp.errors import InvalidInput, PermissionDenied
from google_mcp.google.contacts import Contacts
from google_mcp.google.contacts_models import Contact
from google_mcp.unseen import shown_plainly

Kind = Literal["email", "phone"]
FROM = {
    "contacts": "from your contacts",
    "directory": "from your organisation's directory",
    "other contacts": "from people you wrote to",
}
ORDER = ("contacts", "directory", "other contacts")  # which source a value is said to come from, first first
SHOWN = 10  # candidates listed in a refusal
_NUMBER = re.compile(r"[\d\s+().\-/]+")
_LOOKALIKE_SCRIPTS = {"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC"}
NO_CONTACTS = (
    "Names are looked up in Google Contacts only with the contacts tool group on: add contacts to "
    "GOOGLE_MCP_TOOLS and run `google-mcp auth` to grant its scopes (on a shared server: sign in again), "
    "or give the {what} itself."
)


@dataclass
class Resolved:
    values: list[str] = field(default_factory=list)  # what goes to Google: given addresses, and resolved ones
    lines: list[str] = field(default_factory=list)  # for the preview: "name → address (from where)"
    concerns: list[str] = field(default_factory=list)  # what the person must look at closely


def is_name(value: str, kind: Kind) -> bool:
    value = value.strip()
    if kind == "email":
        return "@" not in value
    return not (_NUMBER.fullmatch(value) and any(c.isdigit() for c in value))


def _mixed_scripts(name: str) -> bool:
    """A word written in more than one alphabet that look alike (a Cyrillic "а" among Latin letters)."""
    for word in name.split():
        scripts = {unicodedata.name(c, "?").split()[0] for c in word if c.isalpha()}
        if len(scripts & _LOOKALIKE_SCRIPTS) > 1:
            return True
    return False


def concerns_of(contact: Contact, value: str) -> list[str]:
    shown, unseen = shown_plainly(contact.name)
    found = []
    if unseen:
        found.append(f"the contact's name {shown!r} holds invisible characters")
    if _mixed_scripts(contact.name):
        found.append(f"the contact's name {shown!r} mixes look-alike alphabets (it may pose as someone else)")
    posing = re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\+?\d[\d\s().-]{6,}\d", contact.name)
    if any(p.lower() != value.lower() for p in posing):
        found.append(f"the contact's name {shown!r} looks like an address, but it is {value}")
    return found


def _values(contact: Contact, kind: Kind) -> list[str]:
    return contact.emails if kind == "email" else contact.phones


def _key(value: str, kind: Kind) -> str:
    return value.strip().lower() if kind == "email" else re.sub(r"[^\d+]", "", value)


def _candidate(value: str, contact: Contact) -> str:
    return f"{value} ({FROM[contact.source]}, named {shown_plainly(contact.name)[0]!r})"


async def resolve(values: list[str] | None, kind: Kind, contacts: Contacts | None, field_name: str) -> Resolved:
    """Each name among `values` looked up; addresses (numbers) pass through as given, in their place."""
    out = Resolved()
    problems: list[str] = []
    what = "email address" if kind == "email" else "phone number"
    whats = "email addresses" if kind == "email" else "phone numbers"
    for raw in values or []:
        if not is_name(raw, kind):
            out.values.append(raw)
            continue
        name = raw.strip()
        shown = shown_plainly(name)[0]
        if not name:
            problems.append(f"{field_name}: an empty entry.")
            continue
        if contacts is None:
            raise InvalidInput(f"{field_name}: {shown!r} is not an {what}. " + NO_CONTACTS.format(what=what))
        try:
            found = await contacts.candidates(name)
        except PermissionDenied:
            raise InvalidInput(
                f"{field_name}: {shown!r} is not an {what}, and this sign-in may not read contacts. "
                + NO_CONTACTS.format(what=what)
            ) from None
        distinct: dict[str, tuple[str, Contact]] = {}
        for person in sorted(found, key=lambda c: ORDER.index(c.source)):
            for value in _values(person, kind):
                distinct.setdefault(_key(value, kind), (value, person))
        if not distinct:
            having = "" if kind == "email" else " with a phone number"
            where = "your contacts, people you wrote to or directory"
            problems.append(f"{field_name}: {shown!r} matches no one{having} in {where}.")
            continue
        if len(distinct) > 1:
            listed = "; ".join(_candidate(v, c) for v, c in list(distinct.values())[:SHOWN])
            more = f" and {len(distinct) - SHOWN} more" if len(distinct) > SHOWN else ""
            problems.append(f"{field_name}: {shown!r} matches {len(distinct)} {whats}: {listed}{more}.")
            continue
        value, contact = next(iter(distinct.values()))
        named = shown_plainly(contact.name)[0]
        out.values.append(value)
        also = f", named {named!r}" if named != shown else ""
        out.lines.append(f"{shown} → {value} ({FROM[contact.source]}{also})")
        out.concerns += concerns_of(contact, value)
    if problems:
        raise InvalidInput(
            " ".join(problems) + f" Nothing was done. Ask the person which one they mean and pass that {what} "
            "(an address is used as given), or a fuller name."
        )
    return out
