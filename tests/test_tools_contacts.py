"""Google Contacts: the sandbox's People v1 against the discovery document with the real client, and the
Contacts tools through an MCP client session (search with Google's warm-up, other contacts, the directory,
writes held, confirmed once, declined, and bound to the version their preview showed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from helpers import credentials, people, run
from mcp_helpers import Person, call, connect, fails, requests, writes

pytestmark = pytest.mark.anyio
MASK = "names,emailAddresses,phoneNumbers,organizations,metadata"
PERSONAL = "alex.personal@example.net"


def _contact(url: str, query: str) -> dict[str, Any]:
    api = people(url)
    run(api.people().searchContacts(query="", readMask=MASK))
    return dict(run(api.people().searchContacts(query=query, readMask=MASK))["results"][0]["person"])


def _personal(url: str, tmp_path: Path, make_settings: Any, **overrides: Any) -> Any:
    from google_mcp.auth import credentials_to_json, write_private

    token = tmp_path / "personal.json"
    write_private(token, credentials_to_json(credentials(url, account=PERSONAL)))
    return make_settings(url, sandbox_url=None, api_endpoint=url, token_file=token, **overrides)


async def test_the_sandbox_answers_as_people_v1_does(fresh_sandbox: Any) -> None:
    url = fresh_sandbox.url
    api = people(url)
    # Google's quirk: a search answers from a cache that only an empty query (the warm-up) refreshes
    assert run(api.people().searchContacts(query="Dana", readMask=MASK)) == {}
    assert run(api.people().searchContacts(query="", readMask=MASK)) == {}
    found = run(api.people().searchContacts(query="Dana Whitfield", readMask=MASK))["results"]
    assert [r["person"]["emailAddresses"][0]["value"] for r in found] == ["dana.whitfield@example.com"]
    run(api.otherContacts().search(query="", readMask="names,emailAddresses"))
    other = run(api.otherContacts().search(query="jos", readMask="names,emailAddresses"))["results"]
    assert other[0]["person"]["resourceName"].startswith("otherContacts/")
    with pytest.raises(HttpError) as wrong:  # other contacts have no organizations
        api.otherContacts().search(query="jos", readMask="organizations").execute()
    assert wrong.value.resp.status == 400
    listed = run(api.people().connections().list(resourceName="people/me", personFields=MASK, pageSize=3))
    assert len(listed["connections"]) == 3 and listed["nextPageToken"]
    dana = run(api.people().get(resourceName=found[0]["person"]["resourceName"], personFields=MASK))
    assert dana["phoneNumbers"][0]["canonicalForm"] == "+16175550142"
    made = run(api.people().createContact(body={"names": [{"givenName": "Zed"}]}, personFields=MASK))
    changed = run(
        api.people().updateContact(
            resourceName=made["resourceName"],
            updatePersonFields="emailAddresses",
            personFields=MASK,
            body={"etag": made["etag"], "emailAddresses": [{"value": "zed@example.org"}]},
        )
    )
    assert changed["etag"] != made["etag"] and changed["emailAddresses"][0]["value"] == "zed@example.org"
    with pytest.raises(HttpError) as stale:  # the version the update was computed from is gone
        api.people().updateContact(
            resourceName=made["resourceName"],
            updatePersonFields="emailAddresses",
            body={"etag": made["etag"], "emailAddresses": []},
        ).execute()
    assert stale.value.resp.status == 400 and b"FAILED_PRECONDITION" in stale.value.content
    run(api.people().deleteContact(resourceName=made["resourceName"]))
    with pytest.raises(HttpError) as gone:
        api.people().get(resourceName=made["resourceName"], personFields=MASK).execute()
    assert gone.value.resp.status == 404
    sources = ["DIRECTORY_SOURCE_TYPE_DOMAIN_PROFILE"]
    rosa = run(api.people().searchDirectoryPeople(query="Rosa", readMask=MASK, sources=sources))
    assert rosa["people"][0]["emailAddresses"][0]["value"] == "rosa.bianchi@example.com"
    personal = people(url, credentials(url, account=PERSONAL))
    with pytest.raises(HttpError) as consumer:  # a personal account has no directory
        personal.people().searchDirectoryPeople(query="Rosa", readMask=MASK, sources=sources).execute()
    assert consumer.value.resp.status == 400 and b"Must be a G Suite domain user" in consumer.value.content


async def test_search_finds_contacts_and_people_you_wrote_to(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url)) as client:
        sams = (await call(client, "contacts_search", {"query": "Sam"}))["contacts"]
        by_phone = (await call(client, "contacts_search", {"query": "617-555-0142"}))["contacts"]
        by_company = (await call(client, "contacts_search", {"query": "Northwind"}))["contacts"]
        wrote_to = (await call(client, "contacts_search", {"query": "José"}))["contacts"]
        everyone = await client.call_tool("contacts_search", {"max_results": 50})
        nobody = await call(client, "contacts_search", {"query": "Zebediah"})
    # Sam Okafor is a contact and someone Alex wrote to: once, as the contact
    assert [(c["name"], c.get("source", "contacts")) for c in sams] == [
        ("Sam Okafor", "contacts"),
        ("Sam Delgado", "contacts"),
    ]
    assert sams[0]["phones"] == ["+14155550111"] and sams[0]["company"] == "Example Inc. (Support Lead)"
    assert [c["name"] for c in by_phone] == ["Dana Whitfield"]
    assert [c["name"] for c in by_company] == ["Sam Delgado"]
    assert wrote_to == [
        {
            "name": "José Müller",
            "emails": ["jose.mueller@example.de"],
            "resource_name": wrote_to[0]["resource_name"],
            "source": "other contacts",
        }
    ]
    text = everyone.content[0].text  # one line a person
    assert text.startswith("8 people.") and "Dana Whitfield · dana.whitfield@example.com · +16175550142" in text
    assert "No one matches" in nobody["note"]
    # each search cache was warmed once, with an empty query, before its first search
    searches = [r for r in requests(url) if r["path"] in ("/v1/people:searchContacts", "/v1/otherContacts:search")]
    warmups = [r["path"] for r in searches if r["query"]["query"] == ""]
    assert sorted(warmups) == ["/v1/otherContacts:search", "/v1/people:searchContacts"]
    for path in ("/v1/people:searchContacts", "/v1/otherContacts:search"):
        assert next(r for r in searches if r["path"] == path)["query"]["query"] == ""


async def test_a_contact_reads_whole_and_an_other_contact_says_where_it_is(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    dana = _contact(url, "Dana Whitfield")
    async with connect(make_settings(url)) as client:
        read = await call(client, "contacts_get", {"resource_name": dana["resourceName"]})
        jose = (await call(client, "contacts_search", {"query": "José"}))["contacts"][0]
        other = await fails(client, "contacts_get", {"resource_name": jose["resource_name"]})
        bad = await fails(client, "contacts_get", {"resource_name": "../../gmail"})
    assert read["name"] == "Dana Whitfield" and read["etag"] == dana["etag"]
    assert read["emails"] == ["dana.whitfield@example.com (Work)"] and read["phones"] == ["+16175550142 (Mobile)"]
    assert read["company"] == "Example Inc." and read["title"] == "Head of Product"
    assert "contacts_create" in other and "resource name" in bad


async def test_the_directory_is_searched_where_the_account_has_one(
    fresh_sandbox: Any, make_settings: Any, tmp_path: Path
) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url)) as client:
        rosa = (await call(client, "contacts_directory_search", {"query": "Rosa"}))["contacts"]
    assert rosa[0]["name"] == "Rosa Bianchi" and rosa[0]["source"] == "directory"
    async with connect(_personal(url, tmp_path, make_settings)) as client:
        refused = await fails(client, "contacts_directory_search", {"query": "Rosa"})
    assert "personal account" in refused and "contacts_search" in refused


async def test_creating_a_contact_is_held_confirmed_once_and_then_found(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    args = {"name": "Nia Oduya", "emails": ["nia@example.org"], "phones": ["+44 20 7946 0000"], "company": "Kew"}
    async with connect(make_settings(url), person=None) as client:
        await call(client, "contacts_search", {"query": "Nia"})  # warms the search cache before the write
        held = await call(client, "contacts_create", args)
        assert held["status"] == "confirmation_required" and writes(url) == []
        assert "Emails: nia@example.org" in held["preview"]["details"]
        done = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert done["status"] == "done" and done["result"]["name"] == "Nia Oduya"
        twice = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert "not run again" in twice["message"]
        found = (await call(client, "contacts_search", {"query": "Nia"}))["contacts"]  # re-warmed after the write
    assert [c["emails"] for c in found] == [["nia@example.org"]]
    assert [w["path"] for w in writes(url)] == ["/v1/people:createContact"]


async def test_a_declined_delete_deletes_nothing(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    lena = _contact(url, "Lena")
    person = Person(approve=False)
    async with connect(make_settings(url), person=person) as client:
        said = await call(client, "contacts_delete", {"resource_name": lena["resourceName"]})
        assert said["status"] == "declined" and writes(url) == []
        assert "Lena Fischer" in person.asked[0] and "lena.fischer@example.com" in person.asked[0]
        yes = Person()
    async with connect(make_settings(url), person=yes) as client:
        done = await call(client, "contacts_delete", {"resource_name": lena["resourceName"]})
        assert done["status"] == "done" and done["result"]["deleted"]
        gone = await fails(client, "contacts_get", {"resource_name": lena["resourceName"]})
    assert "Not found" in gone


async def test_an_update_approved_on_a_changed_contact_comes_back_with_a_fresh_preview(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    marcus = _contact(url, "Marcus")
    name = marcus["resourceName"]
    async with connect(make_settings(url), person=None) as client:
        held = await call(client, "contacts_update", {"resource_name": name, "title": "Principal Engineer"})
        change = "Company: Example Inc. — Staff Engineer → Example Inc. — Principal Engineer"
        assert change in held["preview"]["details"]
        # someone changes Marcus on their phone while the person reads the preview
        now = run(people(url).people().get(resourceName=name, personFields=MASK))
        run(
            people(url)
            .people()
            .updateContact(
                resourceName=name,
                updatePersonFields="phoneNumbers",
                body={"etag": now["etag"], "phoneNumbers": [{"value": "+1 617-555-0199"}]},
            )
        )
        again = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert again["status"] == "confirmation_required" and "changed since the preview" in again["message"]
        unchanged = await call(client, "contacts_get", {"resource_name": name})
        assert unchanged["title"] == "Staff Engineer"
        done = await call(client, "confirm_action", {"confirmation_id": again["confirmation_id"]})
        assert done["status"] == "done"
        after = await call(client, "contacts_get", {"resource_name": name})
    assert after["title"] == "Principal Engineer" and after["phones"] == ["+16175550199"]  # the other change kept
    updates = [w["status"] for w in writes(url) if w["path"].endswith(":updateContact")]
    assert updates == [200, 400, 200]  # the other person's; ours on the stale etag, refused; ours on the fresh one


async def test_a_delete_approved_on_a_changed_contact_deletes_nothing(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    sam = _contact(url, "Sam Delgado")
    name = sam["resourceName"]
    async with connect(make_settings(url), person=None) as client:
        held = await call(client, "contacts_delete", {"resource_name": name})
        run(
            people(url)
            .people()
            .updateContact(
                resourceName=name,
                updatePersonFields="emailAddresses",
                body={"etag": sam["etag"], "emailAddresses": [{"value": "sam@delgado.example"}]},
            )
        )
        again = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert again["status"] == "confirmation_required" and "changed since the preview" in again["message"]
        assert "Emails: sam@delgado.example" in again["preview"]["details"]  # the fresh preview shows it as it is
        kept = await call(client, "contacts_get", {"resource_name": name})
    assert kept["emails"] == ["sam@delgado.example"]
    assert not [w for w in writes(url) if w["path"].endswith(":deleteContact")]
