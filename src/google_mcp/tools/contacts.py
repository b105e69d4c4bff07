"""The Contacts tools: thin declarations over the Contacts adapter (google/contacts.py). Every update and
delete is bound to the version (etag) its preview showed: changed in between, nothing is written and a
fresh preview comes back."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from google_mcp.errors import InvalidInput
from google_mcp.gate import Plan
from google_mcp.google.compose import bare, clean_header, parse_addresses
from google_mcp.google.contacts import resource
from google_mcp.google.contacts_models import ContactDetail, ContactList, ContactWritten
from google_mcp.models import Preview
from google_mcp.registry import DESTRUCTIVE, READ, WRITE, Expect, Registrar
from google_mcp.state import AppState
from google_mcp.unseen import shown_plainly

ResourceName = Annotated[str, Expect("a resource name from contacts_search, e.g. people/c123")]
Emails = Annotated[list[str] | None, Field(description="the full list")]
Phones = Annotated[list[str] | None, Field(description="the full list")]


# reads ----------------------------------------------------------------------------------------
async def contacts_search(
    state: AppState,
    query: Annotated[str, Field(description="start of a name, email, phone or company; empty: all contacts")] = "",
    max_results: Annotated[int, Field(ge=1, le=100)] = 20,
    page_token: str | None = None,
) -> ContactList:
    """Find people in your contacts and among people you wrote to: name, emails, phones, company."""
    if not query.strip():
        return await state.contacts.listing(max_results, page_token)
    if page_token:
        raise InvalidInput("A search answers in one page (at most 30 from each source); page_token is for listing.")
    return await state.contacts.search(query.strip(), max_results)


async def contacts_get(state: AppState, resource_name: ResourceName) -> ContactDetail:
    """Read one contact whole, with its version (etag)."""
    return await state.contacts.get(resource_name)


async def contacts_directory_search(
    state: AppState,
    query: Annotated[str, Field(min_length=1)],
    max_results: Annotated[int, Field(ge=1, le=100)] = 20,
    page_token: str | None = None,
) -> ContactList:
    """Search your organisation's directory (Google Workspace accounts only)."""
    return await state.contacts.directory(query.strip(), max_results, page_token)


# writes ---------------------------------------------------------------------------------------
def _line(label: str, value: str | list[str]) -> str:
    text = ", ".join(value) if isinstance(value, list) else value
    return f"{label}: {shown_plainly(text or '(none)')[0]}"


def _name(name: str) -> list[dict[str, str]]:
    name = clean_header(name, "name")
    if not name:
        raise InvalidInput("Give the contact a name.")
    given, _, family = name.partition(" ")
    return [{"givenName": given, "familyName": family.strip()}]


def _emails(emails: list[str]) -> list[dict[str, str]]:
    return [{"value": bare(a)} for a in parse_addresses(emails, "emails")]


def _phones(phones: list[str]) -> list[dict[str, str]]:
    out = []
    for phone in phones:
        phone = clean_header(phone, "phones")
        if not any(c.isdigit() for c in phone) or len(phone) > 40:
            raise InvalidInput(f"phones: {phone!r} is not a phone number; e.g. +14155550123.")
        out.append({"value": phone})
    return out


def _organization(company: str | None, title: str | None) -> list[dict[str, str]]:
    org = {k: clean_header(v, k) for k, v in (("name", company), ("title", title)) if v}
    return [org] if org else []


async def contacts_create(
    state: AppState,
    name: str,
    emails: list[str] | None = None,
    phones: list[str] | None = None,
    company: str | None = None,
    title: str | None = None,
    notes: str | None = None,
) -> Plan:
    """Add a contact."""
    person: dict[str, Any] = {"names": _name(name)}
    details = [_line("Name", name)]
    if emails:
        person["emailAddresses"] = _emails(emails)
        details.append(_line("Emails", [e["value"] for e in person["emailAddresses"]]))
    if phones:
        person["phoneNumbers"] = _phones(phones)
        details.append(_line("Phones", phones))
    if company or title:
        person["organizations"] = _organization(company, title)
        details.append(_line("Company", " — ".join(x for x in (company, title) if x)))
    if notes:
        person["biographies"] = [{"value": notes, "contentType": "TEXT_PLAIN"}]
        details.append(_line("Notes", notes))
    preview = Preview(action="Create a contact", summary=shown_plainly(name)[0], details=details)
    return Plan(preview, {"person": person})


async def create_op(state: AppState, op: dict[str, Any]) -> ContactWritten:
    return await state.contacts.create(op["person"])


async def contacts_update(
    state: AppState,
    resource_name: ResourceName,
    name: str | None = None,
    emails: Emails = None,
    phones: Phones = None,
    company: str | None = None,
    title: str | None = None,
    notes: str | None = None,
) -> Plan:
    """Change the given fields of a contact (a list replaces the whole list; "" or [] clears)."""
    now = await state.contacts.get(resource_name)
    person: dict[str, Any] = {}
    lines: list[str] = []

    def change(label: str, was: str | list[str], becomes: str | list[str]) -> None:
        lines.append(f"{_line(label, was)} → {_line('', becomes)[2:]}")

    if name is not None:
        person["names"] = _name(name)
        change("Name", now.name, name)
    if emails is not None:
        person["emailAddresses"] = _emails(emails)
        change("Emails", now.emails, [e["value"] for e in person["emailAddresses"]])
    if phones is not None:
        person["phoneNumbers"] = _phones(phones)
        change("Phones", now.phones, phones)
    if company is not None or title is not None:
        company = now.company if company is None else company
        title = now.title if title is None else title
        person["organizations"] = _organization(company, title)
        was = " — ".join(x for x in (now.company, now.title) if x)
        change("Company", was, " — ".join(x for x in (company, title) if x))
    if notes is not None:
        person["biographies"] = [{"value": notes, "contentType": "TEXT_PLAIN"}] if notes else []
        change("Notes", now.notes, notes)
    if not person:
        raise InvalidInput("Nothing to change: give at least one field to update.")
    details = [
        f"Contact: {shown_plainly(now.name)[0]} ({now.resource_name})",
        f"Version: {now.etag} (if the contact changes first, you get a fresh preview)",
        *lines,
    ]
    preview = Preview(action="Update a contact", summary=shown_plainly(now.name)[0], details=details)
    op = {"resource_name": now.resource_name, "etag": now.etag, "person": person, "fields": sorted(person)}
    return Plan(preview, op)


async def update_op(state: AppState, op: dict[str, Any]) -> ContactWritten:
    return await state.contacts.update(op["resource_name"], op["etag"], op["person"], op["fields"])


async def contacts_delete(state: AppState, resource_name: ResourceName) -> Plan:
    """Delete a contact."""
    now = await state.contacts.get(resource(resource_name))
    details = [
        f"Contact: {shown_plainly(now.name)[0]} ({now.resource_name})",
        _line("Emails", now.emails),
        _line("Phones", now.phones),
        f"Version: {now.etag} (if the contact changes first, you get a fresh preview)",
    ]
    if now.company:
        details.insert(3, _line("Company", now.company))
    preview = Preview(action="Delete a contact", summary=shown_plainly(now.name)[0], details=details)
    return Plan(preview, {"resource_name": now.resource_name, "etag": now.etag})


async def delete_op(state: AppState, op: dict[str, Any]) -> ContactWritten:
    return await state.contacts.delete(op["resource_name"], op["etag"])


def register(tool: Registrar) -> None:
    tool(title="Find contacts", annotations=READ)(contacts_search)
    tool(title="Read a contact", annotations=READ)(contacts_get)
    tool(title="Search the directory", annotations=READ)(contacts_directory_search)
    tool(title="Create a contact", annotations=WRITE, execute=create_op)(contacts_create)
    tool(title="Update a contact", annotations=DESTRUCTIVE, execute=update_op)(contacts_update)
    tool(title="Delete a contact", annotations=DESTRUCTIVE, execute=delete_op)(contacts_delete)
