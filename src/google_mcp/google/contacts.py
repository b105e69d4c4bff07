"""Google Contacts (People API v1) as typed operations over the Google client.

Google's contact search works from a cache that only a request with an empty query refreshes ("clients
should send a warmup request with an empty query to update the cache"): each search here is preceded by
one when the cache was not warmed lately, and again after a write from here. Every update and delete is
bound to the version (etag) its preview was read from.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from google_mcp.errors import InvalidInput, NotFound, PermissionDenied, TargetChanged
from google_mcp.google.client import GoogleClient
from google_mcp.google.contacts_models import (
    FULL_MASK,
    OTHER_MASK,
    SEARCH_MASK,
    Contact,
    ContactDetail,
    ContactList,
    ContactWritten,
    contact,
    detail,
    name_of,
)

WARM_SECONDS = 300.0  # a warmed search cache is trusted this long (and until a write from here)
SEARCH_MAX = 30  # Google caps a contact search at 30 results
DIRECTORY_SOURCES = ["DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE", "DIRECTORY_SOURCE_TYPE_DOMAIN_CONTACT"]
_RESOURCE = re.compile(r"(people|otherContacts)/[\w-]{1,200}")
NO_DIRECTORY = (
    "This Google account has no directory to search: a directory is a Google Workspace domain's, and this is a "
    "personal account (Google answers 'Must be a G Suite domain user'). Use contacts_search for its contacts and "
    "the people it wrote to."
)


async def together(*calls: Callable[[], Awaitable[None]]) -> None:
    """Run calls at once; the first failure is raised as itself (not in an exception group)."""
    failed: list[BaseException] = []

    async def run(fn: Callable[[], Awaitable[None]]) -> None:
        try:
            await fn()
        except Exception as exc:
            failed.append(exc)

    async with anyio.create_task_group() as tg:
        for fn in calls:
            tg.start_soon(run, fn)
    if failed:
        raise failed[0]


def resource(name: str) -> str:
    name = name.strip()
    if not _RESOURCE.fullmatch(name):
        raise InvalidInput(f"{name!r} is not a contact's resource name; use one from contacts_search (people/c…).")
    return name


class Contacts:
    def __init__(self, client: GoogleClient) -> None:
        self.client = client
        self._warmed: dict[str, float] = {}
        self.has_directory: bool | None = None  # None: not asked yet; False: a personal account

    # searching -----------------------------------------------------------------------------------
    async def _warm(self, kind: str) -> None:
        if time.monotonic() - self._warmed.get(kind, float("-inf")) < WARM_SECONDS:
            return
        if kind == "contacts":
            await self.client.execute(
                "people",
                lambda s: s.people().searchContacts(query="", readMask=SEARCH_MASK, pageSize=1),
                what="warming up the contact search",
            )
        else:
            await self.client.execute(
                "people",
                lambda s: s.otherContacts().search(query="", readMask=OTHER_MASK, pageSize=1),
                what="warming up the search of other contacts",
            )
        self._warmed[kind] = time.monotonic()

    def cooled(self) -> None:
        """A write from here: Google's search cache no longer holds it until the next warm-up."""
        self._warmed.clear()

    async def _contacts(self, query: str, n: int) -> list[Contact]:
        await self._warm("contacts")
        got = await self.client.execute(
            "people",
            lambda s: s.people().searchContacts(query=query, readMask=SEARCH_MASK, pageSize=min(n, SEARCH_MAX)),
            what="searching contacts",
        )
        return [contact(r["person"], "contacts") for r in got.get("results", []) if "person" in r]

    async def _other(self, query: str, n: int) -> list[Contact]:
        await self._warm("other")
        got = await self.client.execute(
            "people",
            lambda s: s.otherContacts().search(query=query, readMask=OTHER_MASK, pageSize=min(n, SEARCH_MAX)),
            what="searching other contacts",
        )
        return [contact(r["person"], "other contacts") for r in got.get("results", []) if "person" in r]

    async def search(self, query: str, max_results: int) -> ContactList:
        """Contacts, then the people the person wrote to ("other contacts") not already among them."""
        found: dict[str, list[Contact]] = {}

        async def contacts() -> None:
            found["contacts"] = await self._contacts(query, max_results)

        async def other() -> None:
            found["other"] = await self._other(query, max_results)

        await together(contacts, other)
        mine = found["contacts"]
        known = {e.lower() for c in mine for e in c.emails}
        others = [c for c in found["other"] if not c.emails or not {e.lower() for e in c.emails} <= known]
        merged = (mine + others)[:max_results]
        note = None
        if not merged:
            note = "No one matches. Search matches the start of a name, email, phone number or company."
        return ContactList(contacts=merged, note=note)

    async def listing(self, max_results: int, page_token: str | None) -> ContactList:
        kwargs: dict[str, Any] = {
            "resourceName": "people/me",
            "personFields": SEARCH_MASK,
            "pageSize": max_results,
            "sortOrder": "FIRST_NAME_ASCENDING",
        }
        if page_token:
            kwargs["pageToken"] = page_token
        got = await self.client.execute(
            "people", lambda s: s.people().connections().list(**kwargs), what="listing contacts"
        )
        people = [contact(p, "contacts") for p in got.get("connections", [])]
        return ContactList(contacts=people, next_page_token=got.get("nextPageToken"))

    async def directory(self, query: str, max_results: int, page_token: str | None) -> ContactList:
        kwargs: dict[str, Any] = {
            "query": query,
            "readMask": SEARCH_MASK,
            "sources": DIRECTORY_SOURCES,
            "pageSize": max_results,
        }
        if page_token:
            kwargs["pageToken"] = page_token
        try:
            got = await self.client.execute(
                "people", lambda s: s.people().searchDirectoryPeople(**kwargs), what="searching the directory"
            )
        except InvalidInput as exc:
            if "domain user" in str(exc).lower():  # Google's answer to a personal account
                self.has_directory = False
                raise InvalidInput(NO_DIRECTORY) from None
            raise
        self.has_directory = True
        people = [contact(p, "directory") for p in got.get("people", [])]
        return ContactList(contacts=people, next_page_token=got.get("nextPageToken"))

    async def candidates(self, name: str) -> list[Contact]:
        """Everyone a name may mean: contacts, other contacts, and the directory where the account has one
        (a personal account's, or a grant without the directory's scope, is passed over)."""
        found: list[Contact] = []

        async def directory() -> None:
            if self.has_directory is False:
                return
            try:
                found.extend((await self.directory(name, SEARCH_MAX, None)).contacts)
            except (InvalidInput, PermissionDenied):
                self.has_directory = False

        async def contacts() -> None:
            found.extend(await self._contacts(name, SEARCH_MAX))

        async def other() -> None:
            found.extend(await self._other(name, SEARCH_MAX))

        await together(contacts, other, directory)
        return found

    # one contact ---------------------------------------------------------------------------------
    async def person(self, resource_name: str) -> dict[str, Any]:
        name = resource(resource_name)
        if name.startswith("otherContacts/"):
            raise InvalidInput(
                "An other contact (someone you wrote to) holds only a name, emails and phones, all in "
                "contacts_search's answer; to keep or change one, create a contact with contacts_create."
            )
        person: dict[str, Any] = await self.client.execute(
            "people",
            lambda s: s.people().get(resourceName=name, personFields=FULL_MASK),
            what=f"reading contact {name}",
        )
        return person

    async def get(self, resource_name: str) -> ContactDetail:
        return detail(await self.person(resource_name))

    # writing -------------------------------------------------------------------------------------
    async def create(self, body: dict[str, Any]) -> ContactWritten:
        made = await self.client.execute(
            "people",
            lambda s: s.people().createContact(body=body, personFields=SEARCH_MASK),
            what="creating a contact",
            retry=False,
            check="search your contacts",
        )
        self.cooled()
        return ContactWritten(resource_name=made["resourceName"], name=name_of(made), etag=made.get("etag", ""))

    async def _unchanged(self, name: str, etag: str) -> dict[str, Any]:
        try:
            now = await self.person(name)
        except NotFound:
            raise TargetChanged(f"The contact {name} was deleted since the preview; nothing was done.") from None
        if now.get("etag") != etag:
            raise TargetChanged(f"The contact {name} changed since the preview, so nothing was written.")
        return now

    async def update(self, name: str, etag: str, body: dict[str, Any], fields: list[str]) -> ContactWritten:
        """One updateContact on exactly the version the preview showed (Google refuses another etag)."""
        try:
            got = await self.client.execute(
                "people",
                lambda s: s.people().updateContact(
                    resourceName=name,
                    body={**body, "etag": etag},
                    updatePersonFields=",".join(fields),
                    personFields=SEARCH_MASK,
                ),
                what=f"updating contact {name}",
                retry=False,
            )
        except (InvalidInput, NotFound):
            await self._unchanged(name, etag)  # a 400 on a stale etag, a 404 on a deleted contact: say which
            raise
        self.cooled()
        return ContactWritten(resource_name=name, name=name_of(got), etag=got.get("etag", ""))

    async def delete(self, name: str, etag: str) -> ContactWritten:
        """deleteContact takes no etag: the contact is read first, and deleted only as the preview showed it."""
        now = await self._unchanged(name, etag)
        await self.client.execute(
            "people", lambda s: s.people().deleteContact(resourceName=name), what=f"deleting contact {name}"
        )
        self.cooled()
        return ContactWritten(resource_name=name, name=name_of(now), deleted=True)
