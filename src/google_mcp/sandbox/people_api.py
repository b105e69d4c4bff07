"""People v1 over HTTP, as the real client calls it: searchContacts (with its warm-up), otherContacts.search,
people.get, people.connections.list, createContact, updateContact (etag checked: 400 FAILED_PRECONDITION, as
Google answers), deleteContact, and searchDirectoryPeople (a personal account has no directory: 400)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .errors import ApiError, bad_request, not_found
from .people import CONTACT, OTHER, PeopleStore, matches
from .routing import Call, Method, Reply, Router

if TYPE_CHECKING:
    from .host import Host

A = "https://www.googleapis.com/auth/"
READ = (A + "contacts", A + "contacts.readonly")
OTHER_READ = (A + "contacts.other.readonly",)
DIRECTORY = (A + "directory.readonly",)
WRITE = (A + "contacts",)
V = "/v1"
PERSON_FIELDS = {
    "addresses", "ageRanges", "biographies", "birthdays", "calendarUrls", "clientData", "coverPhotos",
    "emailAddresses", "events", "externalIds", "genders", "imClients", "interests", "locales", "locations",
    "memberships", "metadata", "miscKeywords", "names", "nicknames", "occupations", "organizations",
    "phoneNumbers", "photos", "relations", "sipAddresses", "skills", "urls", "userDefined",
}  # fmt: skip
OTHER_FIELDS = {"emailAddresses", "metadata", "names", "phoneNumbers", "photos"}
WRITABLE = PERSON_FIELDS - {"ageRanges", "coverPhotos", "metadata", "photos"}


class FailedPrecondition(ApiError):
    """Google's 400 whose status is FAILED_PRECONDITION rather than INVALID_ARGUMENT."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message, "failedPrecondition")

    def body(self) -> dict[str, Any]:
        out = super().body()
        out["error"]["status"] = "FAILED_PRECONDITION"
        return out


def _mask(call: Call, name: str, allowed: set[str]) -> set[str]:
    raw = ",".join(call.args(name))
    if not raw:
        raise bad_request(f"{name} is required. Specify the fields to return, e.g. names,emailAddresses.")
    fields = {f.strip() for f in raw.split(",") if f.strip()}
    wrong = sorted(fields - allowed)
    if wrong:
        raise bad_request(f'Invalid {name} path: "{wrong[0]}". Valid paths are: {", ".join(sorted(allowed))}.')
    return fields


def _shown(person: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    out = {"resourceName": person["resourceName"], "etag": person["etag"]}
    out.update({k: copy.deepcopy(v) for k, v in person.items() if k in fields and v})
    return out


def _page_size(call: Call, default: int, most: int) -> int:
    return min(call.int_arg("pageSize", default) or default, most)


class PeopleApi:
    def __init__(self, sandbox: Host) -> None:
        self.sb = sandbox

    @property
    def store(self) -> PeopleStore:
        return self.sb.people

    def register(self, r: Router) -> None:
        for method, path, handler, method_id, scopes in [
            ("GET", V + "/people:searchContacts", self.search_contacts, "people.people.searchContacts", READ),
            ("GET", V + "/otherContacts:search", self.search_other, "people.otherContacts.search", OTHER_READ),
            (
                "GET",
                V + "/people:searchDirectoryPeople",
                self.search_directory,
                "people.people.searchDirectoryPeople",
                DIRECTORY,
            ),
            ("POST", V + "/people:createContact", self.create, "people.people.createContact", WRITE),
            ("GET", V + "/people/{id}/connections", self.connections, "people.people.connections.list", READ),
            ("GET", V + "/people/{id}", self.get, "people.people.get", READ + DIRECTORY),
            ("PATCH", V + "/people/{id}:updateContact", self.update, "people.people.updateContact", WRITE),
            ("DELETE", V + "/people/{id}:deleteContact", self.delete, "people.people.deleteContact", WRITE),
        ]:
            r.add(method, path, Method(handler, method_id), scopes)

    # searching -----------------------------------------------------------------------------------
    def _search(self, call: Call, kind: str, allowed: set[str]) -> dict[str, Any]:
        fields = _mask(call, "readMask", allowed)
        size = _page_size(call, 10, 30)
        query = call.arg("query")
        if query is None:
            raise bad_request("query is required.")
        if not query.strip():  # the warm-up: refreshes the cache, answers nothing
            self.store.warm(kind)
            return {}
        found = self.store.search(kind, query)[:size]
        return {"results": [{"person": _shown(p, fields)} for p in found]} if found else {}

    def search_contacts(self, call: Call) -> dict[str, Any]:
        return self._search(call, CONTACT, PERSON_FIELDS)

    def search_other(self, call: Call) -> dict[str, Any]:
        return self._search(call, OTHER, OTHER_FIELDS)

    def search_directory(self, call: Call) -> dict[str, Any]:
        fields = _mask(call, "readMask", PERSON_FIELDS)
        if not call.args("sources"):
            raise bad_request("sources is required: DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE and/or _DOMAIN_CONTACT.")
        if not self.store.workspace:
            raise FailedPrecondition("Must be a G Suite domain user.")
        size = _page_size(call, 100, 500)
        start = call.int_arg("pageToken", 0) if call.arg("pageToken") else 0
        query = call.arg("query") or ""
        found = [p for p in self.store.directory.values() if query.strip() and matches(query, p)]
        page = found[start : start + size]
        out: dict[str, Any] = {"people": [_shown(p, fields) for p in page], "totalSize": len(found)}
        if start + size < len(found):
            out["nextPageToken"] = str(start + size)
        return {k: v for k, v in out.items() if v}

    # one person ----------------------------------------------------------------------------------
    def _contact(self, call: Call) -> dict[str, Any]:
        name = "people/" + call.params["id"]
        person = self.store.contacts.get(name)
        if person is None:
            raise not_found("Requested entity was not found.")
        return person

    def get(self, call: Call) -> dict[str, Any]:
        fields = _mask(call, "personFields", PERSON_FIELDS)
        name = "people/" + call.params["id"]
        if name == "people/me":
            me, address = self.store.me
            given, _, family = me.partition(" ")
            names = [{"displayName": me, "givenName": given, "familyName": family}]
            mine = {"resourceName": name, "etag": "%EgMe", "names": names, "emailAddresses": [{"value": address}]}
            return _shown(mine, fields)
        person = self.store.contacts.get(name) or self.store.directory.get(name)
        if person is None:
            raise not_found("Requested entity was not found.")
        return _shown(person, fields)

    def connections(self, call: Call) -> dict[str, Any]:
        if call.params["id"] != "me":
            raise bad_request("resourceName must be people/me.")
        fields = _mask(call, "personFields", PERSON_FIELDS)
        size = _page_size(call, 100, 1000)
        start = call.int_arg("pageToken", 0) if call.arg("pageToken") else 0
        people = list(self.store.contacts.values())
        if call.arg("sortOrder") in ("FIRST_NAME_ASCENDING", "LAST_NAME_ASCENDING"):
            key = "givenName" if call.arg("sortOrder") == "FIRST_NAME_ASCENDING" else "familyName"
            people.sort(key=lambda p: ((p.get("names") or [{}])[0].get(key, "") or "").casefold())
        page = people[start : start + size]
        out: dict[str, Any] = {"connections": [_shown(p, fields) for p in page], "totalPeople": len(people)}
        out["totalItems"] = len(people)
        if start + size < len(people):
            out["nextPageToken"] = str(start + size)
        return {k: v for k, v in out.items() if v}

    # writing -------------------------------------------------------------------------------------
    @staticmethod
    def _fields_of(body: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(body) - WRITABLE - {"etag", "resourceName", "metadata"})
        if unknown:
            raise bad_request(f"Invalid person field: {unknown[0]}.")
        return {k: v for k, v in body.items() if k in WRITABLE}

    def create(self, call: Call) -> dict[str, Any]:
        fields = _mask(call, "personFields", PERSON_FIELDS) if call.args("personFields") else PERSON_FIELDS
        body = self._fields_of(call.json())
        if not body:
            raise bad_request("The person to create is empty.")
        person = self.store.add(CONTACT, body, self.sb.now())
        return _shown(person, fields)

    def update(self, call: Call) -> dict[str, Any]:
        person = self._contact(call)
        update = _mask(call, "updatePersonFields", WRITABLE)
        fields = _mask(call, "personFields", PERSON_FIELDS) if call.args("personFields") else PERSON_FIELDS
        body = call.json()
        if not body.get("etag"):
            raise bad_request("person.etag is required when updating a contact.")
        if body["etag"] != person["etag"]:
            raise FailedPrecondition(
                "Request person.etag is different than the current person.etag. Clear local cache and get the "
                "latest person."
            )
        changes = {k: body.get(k) or [] for k in update}
        self.store.write(person, CONTACT, self._fields_of(changes), self.sb.now())
        for key in update:  # a field set to nothing is gone
            if not person.get(key):
                person.pop(key, None)
        return _shown(person, fields)

    def delete(self, call: Call) -> Reply:
        person = self._contact(call)
        del self.store.contacts[person["resourceName"]]
        return Reply(200, {})
