"""Google Contacts' results (People API v1), and the reading of a Person into them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from google_mcp.models import Result

Source = Literal["contacts", "other contacts", "directory"]
# what a read asks Google for: the fields every answer here shows, and no more
SEARCH_MASK = "names,emailAddresses,phoneNumbers,organizations"
OTHER_MASK = "names,emailAddresses,phoneNumbers"  # all an "other contact" has
FULL_MASK = "names,emailAddresses,phoneNumbers,organizations,biographies,addresses,birthdays,urls,metadata"


class Contact(Result):
    name: str
    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    company: str = ""
    resource_name: str
    source: Source = Field(default="contacts", description="contacts, other contacts (people you wrote to), directory")


class ContactList(Result):
    contacts: list[Contact]
    next_page_token: str | None = None
    note: str | None = None


class ContactDetail(Result):
    resource_name: str
    etag: str = Field(description="the version this is of")
    name: str
    given_name: str = ""
    family_name: str = ""
    emails: list[str] = Field(default_factory=list, description="each 'address (type)'")
    phones: list[str] = Field(default_factory=list, description="each 'number (type)'")
    company: str = ""
    title: str = ""
    addresses: list[str] = Field(default_factory=list)
    birthday: str = ""
    notes: str = ""
    urls: list[str] = Field(default_factory=list)
    source: Source = "contacts"


class ContactWritten(Result):
    resource_name: str
    name: str
    etag: str = ""
    deleted: bool = False


# reading a Person ----------------------------------------------------------------------------
def _first(person: dict[str, Any], key: str) -> dict[str, Any]:
    items = person.get(key) or [{}]
    primary = next((i for i in items if (i.get("metadata") or {}).get("primary")), items[0])
    return dict(primary)


def name_of(person: dict[str, Any]) -> str:
    name = _first(person, "names")
    return str(name.get("displayName") or name.get("unstructuredName") or "")


def emails_of(person: dict[str, Any]) -> list[str]:
    return [str(e["value"]) for e in person.get("emailAddresses") or [] if e.get("value")]


def phone_of(entry: dict[str, Any]) -> str:
    """A number as Google gives it: its canonical form (E.164) where Google could tell it, else as typed."""
    return str(entry.get("canonicalForm") or entry.get("value") or "")


def company_of(person: dict[str, Any]) -> tuple[str, str]:
    org = _first(person, "organizations")
    return str(org.get("name") or ""), str(org.get("title") or "")


def contact(person: dict[str, Any], source: Source) -> Contact:
    company, title = company_of(person)
    return Contact(
        name=name_of(person),
        emails=emails_of(person),
        phones=[p for p in (phone_of(e) for e in person.get("phoneNumbers") or []) if p],
        company=f"{company} ({title})" if company and title else company or title,
        resource_name=str(person.get("resourceName", "")),
        source=source,
    )


def _typed(value: str, entry: dict[str, Any]) -> str:
    kind = entry.get("formattedType") or entry.get("type")
    return f"{value} ({kind})" if kind else value


def detail(person: dict[str, Any]) -> ContactDetail:
    name = _first(person, "names")
    company, title = company_of(person)
    birthday = (_first(person, "birthdays").get("date") or {}) if person.get("birthdays") else {}
    born = "-".join(f"{birthday[k]:02d}" for k in ("year", "month", "day") if birthday.get(k))
    sources = ((person.get("metadata") or {}).get("sources") or [{}])[0].get("type", "CONTACT")
    return ContactDetail(
        resource_name=str(person.get("resourceName", "")),
        etag=str(person.get("etag", "")),
        name=name_of(person),
        given_name=str(name.get("givenName") or ""),
        family_name=str(name.get("familyName") or ""),
        emails=[_typed(str(e["value"]), e) for e in person.get("emailAddresses") or [] if e.get("value")],
        phones=[_typed(phone_of(e), e) for e in person.get("phoneNumbers") or [] if phone_of(e)],
        company=company,
        title=title,
        addresses=[str(a["formattedValue"]) for a in person.get("addresses") or [] if a.get("formattedValue")],
        birthday=born,
        notes=str(_first(person, "biographies").get("value") or "") if person.get("biographies") else "",
        urls=[str(u["value"]) for u in person.get("urls") or [] if u.get("value")],
        source="directory" if sources.startswith("DOMAIN") else "contacts",
    )
