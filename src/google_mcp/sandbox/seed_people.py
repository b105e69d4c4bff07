"""Seeded people: the mailbox's people as contacts and "other contacts", the example.com directory, two
people who share a first name, and contacts whose names pose as someone else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .people import CONTACT, OTHER, PROFILE
from .seed import PEOPLE

if TYPE_CHECKING:
    from .host import Host

# name, emails, phones, company
CONTACTS = [
    ("dana", [("+1 617-555-0142", "mobile")], ("Example Inc.", "Head of Product")),
    ("marcus", [("(617) 555-0178", "mobile"), ("+1 617-555-0100", "work")], ("Example Inc.", "Staff Engineer")),
    ("lena", [("+49 30 5550 1234", "mobile")], ("Example Inc.", "Designer")),
    ("sam", [("+1 415-555-0111", "mobile")], ("Example Inc.", "Support Lead")),
    ("priya", [], ("Acme Corp", "Backend Lead")),
]
SAM_DELGADO = ("Sam Delgado", "sam.delgado@northwind.example", "+1 415-555-0122", ("Northwind Outfitters", "Buyer"))
# a contact named as Dana's address, whose address is not hers; and one whose "а" is Cyrillic (U+0430),
# at a look-alike domain
HOSTILE = [
    ("dana.whitfield@example.com", "evil@attacker.test", "+1 900-555-0199"),
    ("D\u0430na Whitfield", "dana.whitfield@example.co", "+1 900-555-0188"),
]
OTHERS = ["jose", "yamada", "soren", "oleg", "fatima", "sam"]  # people Alex wrote to (Sam is also a contact)
DIRECTORY = [
    ("Alex Morgan", "alex.morgan@example.com", "Chief of Staff"),
    ("Dana Whitfield", "dana.whitfield@example.com", "Head of Product"),
    ("Marcus Chen", "marcus.chen@example.com", "Staff Engineer"),
    ("Lena Fischer", "lena.fischer@example.com", "Designer"),
    ("Sam Okafor", "sam.okafor@example.com", "Support Lead"),
    ("Jordan Lee", "jordan.lee@example.com", "Finance"),
    ("Rosa Bianchi", "rosa.bianchi@example.com", "Legal Counsel"),  # a colleague in no one's contacts
]


def seed_people(sb: Host, full: bool = True) -> None:
    store, now = sb.people, sb.now()
    if store.workspace:
        for name, address, title in DIRECTORY:
            store.person(PROFILE, name, [address], company=("Example Inc.", title), now=now)
    if not full:
        return
    if store.me[1] != "alex.morgan@example.com":
        if not store.workspace:
            store.person(CONTACT, "Sam Morgan", [("sam.morgan@example.net", "home")], now=now)
        return
    for key, phones, company in CONTACTS:
        name, address = PEOPLE[key]
        store.person(CONTACT, name, [address], phones, company, now)
    name, address, phone, company = SAM_DELGADO
    store.person(CONTACT, name, [address], [(phone, "mobile")], company, now)
    for name, address, phone in HOSTILE:
        store.person(CONTACT, name, [address], [(phone, "mobile")], now=now)
    for key in OTHERS:
        name, address = PEOPLE[key]
        store.person(OTHER, name, [(address, "")], now=now)
