"""Recipients given by name (google/recipients.py), through MCP sessions against the sandbox: one match
resolves and the preview says to what and from where; several or none are refused with the candidates; a
contact whose name poses as someone else never hides the address; an address is never looked up."""

from __future__ import annotations

import base64
import email
from pathlib import Path
from typing import Any

import pytest

from helpers import credentials, gmail, people, run
from mcp_helpers import call, connect, fails, requests, writes

pytestmark = pytest.mark.anyio
LOOKALIKE = "D\u0430na Whitfield"  # a Cyrillic "а": a contact at dana.whitfield@example.co
MAIL = {"subject": "Notes", "body_text": "The notes from today."}
EVENT = {"summary": "Sync", "start": "2027-03-01T10:00:00Z"}


def _lookups(url: str) -> list[dict[str, Any]]:
    return [r for r in requests(url) if r["path"].startswith(("/v1/people:", "/v1/otherContacts:"))]


async def test_a_name_with_one_match_is_sent_to_the_address_the_preview_showed(
    fresh_sandbox: Any, make_settings: Any
) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url), person=None) as client:
        held = await call(client, "gmail_send", {"to": ["Dana Whitfield"], "cc": ["lena.fischer@example.com"], **MAIL})
        details = held["preview"]["details"]
        assert "To: dana.whitfield@example.com" in details and "Cc: lena.fischer@example.com" in details
        assert "Name: Dana Whitfield → dana.whitfield@example.com (from your contacts)" in details
        done = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        draft = await call(client, "gmail_create_draft", {"to": ["Rosa"], **MAIL})
    sent = run(gmail(url).users().messages().get(userId="me", id=done["result"]["id"], format="raw"))
    message = email.message_from_bytes(base64.urlsafe_b64decode(sent["raw"]))
    assert message["To"] == "dana.whitfield@example.com" and message["Cc"] == "lena.fischer@example.com"
    # a colleague in no contacts, found in the Workspace directory
    assert (
        "Name: Rosa → rosa.bianchi@example.com (from your organisation's directory, named 'Rosa Bianchi')"
        in draft["preview"]["details"]
    )


async def test_several_matches_or_none_are_refused_with_the_candidates(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url), person=None) as client:
        several = await fails(client, "gmail_send", {"to": ["Sam"], **MAIL})
        none = await fails(client, "gmail_send", {"to": ["Dana Whitfield", "Zebediah Quill"], **MAIL})
        guests = await fails(client, "calendar_create_event", {**EVENT, "attendees": ["Sam"]})
        texts = await fails(client, "sms_send", {"to": "Sam", "text": "Running late"})
        numbers = await fails(client, "sms_send", {"to": "Marcus", "text": "Running late"})  # mobile and work
    assert "'Sam' matches 2 email addresses" in several
    assert "sam.okafor@example.com (from your contacts, named 'Sam Okafor')" in several
    assert "sam.delgado@northwind.example (from your contacts, named 'Sam Delgado')" in several
    assert "Ask the person which one" in several
    assert "'Zebediah Quill' matches no one" in none and "Dana" not in none.split("matches")[0]
    assert "sam.okafor@example.com" in guests and "sam.delgado@northwind.example" in guests
    assert "+14155550111" in texts and "+14155550122" in texts
    assert "'Marcus' matches 2 phone numbers" in numbers and "+16175550100" in numbers
    assert writes(url) == []


async def test_a_contact_posing_as_someone_else_never_hides_the_address(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    billing = {"names": [{"givenName": "Billing", "familyName": "<billing@nimbus.example>"}]}
    billing["emailAddresses"] = [{"value": "invoices@attacker.test"}]
    hidden = {
        "names": [{"givenName": "Kai\u200b", "familyName": "Berg"}],
        "emailAddresses": [{"value": "kai@attacker.test"}],
    }
    for body in (billing, hidden):
        run(people(url).people().createContact(body=body))
    async with connect(make_settings(url, auto_approve=["gmail_send", "sms_send"]), person=None) as client:
        mail = await call(client, "gmail_send", {"to": [LOOKALIKE], **MAIL})
        # an HTML body has concerns of its own (or none): a name's are kept beside them, never replaced
        html = await call(client, "gmail_send", {"to": [LOOKALIKE], "subject": "Notes", "body_html": "<p>Hi</p>"})
        named = await call(client, "gmail_send", {"to": ["Billing"], **MAIL})
        unseen = await call(client, "gmail_send", {"to": ["Kai"], **MAIL})
        event = await call(client, "calendar_create_event", {**EVENT, "attendees": [LOOKALIKE]})
        text = await call(client, "sms_send", {"to": LOOKALIKE, "text": "Running late"})
        # a name that is the start of both Dana's address and a contact named as that address
        posing = await fails(client, "gmail_send", {"to": ["dana.whitfield"], **MAIL})
        before = len(_lookups(url))
        # an address is used as given: never looked up, so a contact named after it cannot stand in for it
        plain = await call(client, "gmail_send", {"to": ["dana.whitfield@example.com"], **MAIL})
    # auto-approval does not cover it: the person is asked, and shown the address it really goes to
    assert mail["status"] == "confirmation_required" and "Not auto-approved" in mail["message"]
    details = mail["preview"]["details"]
    assert details[0].startswith("Look closely:") and "look-alike alphabets" in details[0]
    assert "To: dana.whitfield@example.co" in details
    assert f"Name: {LOOKALIKE} → dana.whitfield@example.co (from your contacts)" in details
    assert html["status"] == "confirmation_required" and "look-alike" in html["preview"]["details"][0]
    assert "looks like an address, but it is invoices@attacker.test" in named["preview"]["details"][0]
    assert "To: invoices@attacker.test" in named["preview"]["details"]
    assert "invisible characters" in unseen["preview"]["details"][0] and unseen["status"] == "confirmation_required"
    assert (
        "Name: Kai → kai@attacker.test (from your contacts, named 'Kai⟨U+200B⟩ Berg')" in unseen["preview"]["details"]
    )
    assert event["status"] == "confirmation_required"
    assert "Guests: dana.whitfield@example.co" in event["preview"]["details"]
    assert any(d.startswith("Look closely:") and "look-alike" in d for d in event["preview"]["details"])
    assert text["status"] == "confirmation_required" and "Not auto-approved" in text["message"]
    assert text["preview"]["details"][0].startswith("Look closely:")
    assert "To: +19005550188" in text["preview"]["details"]
    assert "evil@attacker.test (from your contacts, named 'dana.whitfield@example.com')" in posing
    assert "dana.whitfield@example.com (from your contacts, named 'Dana Whitfield')" in posing
    assert plain["status"] == "done" and len(_lookups(url)) == before
    assert [w["path"] for w in writes(url)] == [*["/v1/people:createContact"] * 2, "/gmail/v1/users/me/messages/send"]


async def test_a_name_resolves_to_a_guest_and_to_a_number(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    async with connect(make_settings(url), person=None) as client:
        event = await call(
            client,
            "calendar_create_event",
            {**EVENT, "attendees": ["Dana Whitfield", "marcus.chen@example.com"]},
        )
        text = await call(client, "sms_send", {"to": "Dana Whitfield", "text": "Running late"})
        done = await call(client, "confirm_action", {"confirmation_id": text["confirmation_id"]})
    details = event["preview"]["details"]
    assert "Guests: dana.whitfield@example.com, marcus.chen@example.com" in details
    assert "Name: Dana Whitfield → dana.whitfield@example.com (from your contacts)" in details
    assert "Name: Dana Whitfield → +16175550142 (from your contacts)" in text["preview"]["details"]
    assert done["status"] == "done" and done["result"]["to"] == "+16175550142"


async def test_without_the_contacts_group_a_name_is_refused_with_what_to_do(
    fresh_sandbox: Any, make_settings: Any, tmp_path: Path
) -> None:
    from google_mcp.auth import credentials_to_json, write_private

    url = fresh_sandbox.url
    async with connect(make_settings(url, tools=["gmail", "sms"]), person=None) as client:
        off = await fails(client, "gmail_send", {"to": ["Dana Whitfield"], **MAIL})
        number = await fails(client, "sms_send", {"to": "Dana Whitfield", "text": "x"})
    assert "GOOGLE_MCP_TOOLS" in off and "give the email address itself" in off
    assert "give the phone number itself" in number
    token = tmp_path / "token.json"  # signed in before the contacts group existed: no contacts scope
    write_private(token, credentials_to_json(credentials(url, "https://www.googleapis.com/auth/gmail.modify")))
    settings = make_settings(url, sandbox_url=None, api_endpoint=url, token_file=token)
    async with connect(settings, person=None) as client:
        unscoped = await fails(client, "gmail_send", {"to": ["Dana Whitfield"], **MAIL})
    assert "may not read contacts" in unscoped and "google-mcp auth" in unscoped
    assert writes(url) == []
