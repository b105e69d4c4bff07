"""The people of one sandbox account: its contacts, its "other contacts" (people it wrote to) and, for a
Workspace account, its domain's directory. Each person is kept as Google's Person resource.

Google's contact search answers from a cache that only a request with an empty query refreshes; so here:
a search sees the people as they were at the last warm-up (none before the first one).
"""

from __future__ import annotations

import copy
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CONTACT, OTHER, PROFILE = "CONTACT", "OTHER_CONTACT", "DOMAIN_PROFILE"


def new_etag() -> str:
    return "%Eg" + secrets.token_urlsafe(18)


def canonical(number: str) -> str | None:
    """E.164 where the number says enough (a + and digits, or ten digits of a North American number)."""
    digits = re.sub(r"\D", "", number)
    if number.strip().startswith("+") and 8 <= len(digits) <= 15:
        return "+" + digits
    if len(digits) == 10:
        return "+1" + digits
    return None


def _words(text: str) -> list[str]:
    return unicodedata.normalize("NFKC", text).casefold().split()


def prefix_match(query: str, value: str) -> bool:
    """Google's rule: the query matches the start of a phrase of the field ('foo name' matches 'f', 'foo n',
    'nam', not 'oo n'); a phone number matches on its digits."""
    q, words = _words(query), _words(value)
    if not q:
        return False
    if unicodedata.normalize("NFKC", value).casefold().startswith(" ".join(q)):
        return True
    for i in range(len(words) - len(q) + 1):
        head, last = words[i : i + len(q) - 1], words[i + len(q) - 1]
        if head == q[:-1] and last.startswith(q[-1]):
            return True
    return False


def _digits_match(query: str, person: dict[str, Any]) -> bool:
    digits = re.sub(r"\D", "", query)
    if len(digits) < 3 or re.search(r"[^\d\s+().-]", query):
        return False
    for p in person.get("phoneNumbers", []):
        have = re.sub(r"\D", "", p.get("canonicalForm") or p.get("value", ""))
        if have.startswith(digits) or have.endswith(digits) or re.sub(r"\D", "", p.get("value", "")).startswith(digits):
            return True
    return False


def matches(query: str, person: dict[str, Any], organizations: bool = True) -> bool:
    values = [n.get(k, "") for n in person.get("names", []) for k in ("displayName", "givenName", "familyName")]
    values += [n.get("value", "") for n in person.get("nicknames", [])]
    values += [e.get("value", "") for e in person.get("emailAddresses", [])]
    if organizations:
        values += [o.get("name", "") for o in person.get("organizations", [])]
    return any(prefix_match(query, v) for v in values if v) or _digits_match(query, person)


@dataclass
class PeopleStore:
    me: tuple[str, str]  # name, address
    workspace: bool  # a Workspace account has a domain directory; a personal one does not
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)  # by resource name
    other: dict[str, dict[str, Any]] = field(default_factory=dict)
    directory: dict[str, dict[str, Any]] = field(default_factory=dict)
    cache: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # search's view, as of the last warm-up
    _next: int = 1000

    def _id(self, prefix: str) -> str:
        self._next += 7
        return f"{prefix}{self._next}{secrets.randbelow(10**6):06d}"

    def person(
        self,
        kind: str,
        name: str,
        emails: list[str] | list[tuple[str, str]] = (),  # type: ignore[assignment]
        phones: list[tuple[str, str]] = (),  # type: ignore[assignment]
        company: tuple[str, str] | None = None,
        now: datetime | None = None,
        notes: str = "",
    ) -> dict[str, Any]:
        """Add a person (seed data) and return it."""
        given, _, family = name.partition(" ")
        body: dict[str, Any] = {"names": [{"givenName": given, "familyName": family}] if name else []}
        body["emailAddresses"] = [
            {"value": e, "type": "work"} if isinstance(e, str) else {"value": e[0], "type": e[1]} for e in emails
        ]
        body["emailAddresses"] = [{k: v for k, v in e.items() if v} for e in body["emailAddresses"]]
        body["phoneNumbers"] = [{"value": v, "type": t} for v, t in phones]
        if company:
            body["organizations"] = [{"name": company[0], "title": company[1]}]
        if notes:
            body["biographies"] = [{"value": notes, "contentType": "TEXT_PLAIN"}]
        return self.add(kind, body, now)

    def add(self, kind: str, body: dict[str, Any], now: datetime | None) -> dict[str, Any]:
        prefix = {CONTACT: "people/c", OTHER: "otherContacts/c", PROFILE: "people/1"}[kind]
        person = {"resourceName": self._id(prefix)}
        self.write(person, kind, body, now)
        {CONTACT: self.contacts, OTHER: self.other, PROFILE: self.directory}[kind][person["resourceName"]] = person
        return person

    @staticmethod
    def write(person: dict[str, Any], kind: str, body: dict[str, Any], now: datetime | None) -> None:
        """Set fields from a request's Person (as Google keeps them: metadata, display names, canonical numbers)."""
        source = {"type": kind, "id": person["resourceName"].rsplit("/", 1)[-1]}
        for key, items in body.items():
            kept = []
            for n, item in enumerate(items or []):
                item = {k: v for k, v in dict(item).items() if k != "metadata"}
                if key == "names":
                    item.pop("displayName", None)
                    if item.get("unstructuredName") and not (item.get("givenName") or item.get("familyName")):
                        given, _, family = item["unstructuredName"].partition(" ")
                        item["givenName"], item["familyName"] = given, family
                    parts = [item.get(k, "") for k in ("honorificPrefix", "givenName", "middleName", "familyName")]
                    item["displayName"] = " ".join(p for p in parts if p)
                    last = ", ".join(p for p in (item.get("familyName", ""), item.get("givenName", "")) if p)
                    item["displayNameLastFirst"] = last
                    item["unstructuredName"] = item["displayName"]
                if key == "phoneNumbers":
                    found = canonical(item.get("value", ""))
                    if found:
                        item["canonicalForm"] = found
                if key in ("phoneNumbers", "emailAddresses") and item.get("type"):
                    item["formattedType"] = item["type"].capitalize()
                item["metadata"] = {"primary": n == 0, "source": source} if n == 0 else {"source": source}
                kept.append(item)
            person[key] = kept
        person["etag"] = new_etag()
        stamp = (now.isoformat() if now else "2026-01-01T00:00:00+00:00").replace("+00:00", "Z")
        person["metadata"] = {
            "sources": [{"type": kind, "id": source["id"], "etag": person["etag"], "updateTime": stamp}],
            "objectType": "PERSON",
        }

    def warm(self, kind: str) -> None:
        self.cache[kind] = copy.deepcopy(list((self.contacts if kind == CONTACT else self.other).values()))

    def search(self, kind: str, query: str) -> list[dict[str, Any]]:
        return [p for p in self.cache.get(kind, []) if matches(query, p, organizations=kind == CONTACT)]
