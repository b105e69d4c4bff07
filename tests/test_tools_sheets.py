"""Google Sheets: the sandbox's Sheets v4 against the discovery document with the real client, and the Sheets
tools through an MCP client session (tables, formulas on request, paging, and writes held by the gate, one of
them on cells someone else edits while the preview waits)."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from helpers import control, credentials, discovery, drive, run, validate
from mcp_helpers import Person, call, connect, fails, requests, writes

pytestmark = pytest.mark.anyio
SPREADSHEET = "application/vnd.google-apps.spreadsheet"


def sheets(url: str) -> Any:
    return build("sheets", "v4", credentials=credentials(url), client_options={"api_endpoint": url})


def book_id(url: str, name: str) -> str:
    """A seeded spreadsheet's id, as Drive search finds it."""
    found = run(drive(url).files().list(q=f"mimeType = '{SPREADSHEET}'"))
    return str(next(f["id"] for f in found["files"] if name in f["name"]))


async def test_the_sandbox_answers_as_sheets_does(fresh_sandbox: Any) -> None:
    url = fresh_sandbox.url
    api, schemas = sheets(url), discovery("sheets.v4")["schemas"]
    budget = book_id(url, "team budget")
    got = run(api.spreadsheets().get(spreadsheetId=budget, includeGridData=False))
    validate(got, {"$ref": "Spreadsheet"}, schemas)
    assert [s["properties"]["title"] for s in got["sheets"]] == ["Budget", "Notes"]
    shown = run(api.spreadsheets().values().get(spreadsheetId=budget, range="Budget!A1:E2"))
    validate(shown, {"$ref": "ValueRange"}, schemas)
    assert shown["values"] == [
        ["Month", "Rent", "Travel", "Tools", "Total"],
        ["Jan", "$4,200.00", "$1,200.00", "$400.00", "$5,800.00"],
    ]
    typed = run(
        api.spreadsheets().values().get(spreadsheetId=budget, range="Budget!E2", valueRenderOption="UNFORMATTED_VALUE")
    )
    assert typed == {"range": "Budget!E2", "majorDimension": "ROWS", "values": [[5800]]}
    appended = run(
        api.spreadsheets()
        .values()
        .append(
            spreadsheetId=budget,
            range="Budget",
            valueInputOption="USER_ENTERED",
            body={"values": [["Dec", "$4,200", 950, 300, "=SUM(B13:D13)"]]},
        )
    )
    validate(appended, {"$ref": "AppendValuesResponse"}, schemas)
    assert appended["updates"]["updatedRange"] == "Budget!A13:E13"
    both = run(api.spreadsheets().values().batchGet(spreadsheetId=budget, ranges=["Budget!A13:E13", "Notes!A1:B1"]))
    validate(both, {"$ref": "BatchGetValuesResponse"}, schemas)
    assert both["valueRanges"][0]["values"] == [["Dec", "$4,200.00", "950", "300", "5450"]]
    cleared = run(api.spreadsheets().values().clear(spreadsheetId=budget, range="Notes!A2:B2", body={}))
    validate(cleared, {"$ref": "ClearValuesResponse"}, schemas)
    added = run(
        api.spreadsheets().batchUpdate(
            spreadsheetId=budget, body={"requests": [{"addSheet": {"properties": {"title": "Dec"}}}]}
        )
    )
    validate(added, {"$ref": "BatchUpdateSpreadsheetResponse"}, schemas)
    made = run(api.spreadsheets().create(body={"properties": {"title": "Scratch"}}))
    validate(made, {"$ref": "Spreadsheet"}, schemas)
    forecast = book_id(url, "forecast")
    named = run(api.spreadsheets().values().get(spreadsheetId=forecast, range="Totals"))
    assert named["values"] == [["Total", "$405,000.00", "$272,000.00", "$133,000.00", "32.84%"]]
    grid = run(api.spreadsheets().get(spreadsheetId=forecast, ranges=["Totals"], includeGridData=True))
    validate(grid, {"$ref": "Spreadsheet"}, schemas)
    for rng, status in (("Nope!A1", 400), ("Budget!A1:::", 400)):
        with pytest.raises(HttpError) as bad:
            api.spreadsheets().values().get(spreadsheetId=budget, range=rng).execute()
        assert bad.value.resp.status == status and "Unable to parse range" in str(bad.value)
    with pytest.raises(HttpError) as missing:
        api.spreadsheets().get(spreadsheetId="1" + "x" * 43).execute()
    assert missing.value.resp.status == 404
    private = next(b.id for b in fresh_sandbox.sandbox.sheets_api.books.values() if b.title.startswith("Jordan"))
    with pytest.raises(HttpError) as denied:
        api.spreadsheets().get(spreadsheetId=private).execute()
    assert denied.value.resp.status == 403
    control(url, "/_sandbox/quota", {"units_per_second": 0, "sheets_per_minute": 2})  # Sheets' quota, turned down
    api.spreadsheets().get(spreadsheetId=budget).execute()
    api.spreadsheets().get(spreadsheetId=budget).execute()
    with pytest.raises(HttpError) as quota:
        api.spreadsheets().get(spreadsheetId=budget).execute()
    assert quota.value.resp.status == 429 and "per minute per user" in str(quota.value)


async def test_reads_show_a_compact_table_with_formulas_on_request(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    forecast = book_id(url, "forecast")
    async with connect(make_settings(url)) as client:
        listed = await call(client, "sheets_list", {"spreadsheet_id": forecast})
        assert listed["sheets"] == [{"title": "Forecast", "rows": 100, "columns": 6}]
        assert "Totals = Forecast!A5:E5" in listed["named_ranges"]
        shown = await client.call_tool("sheets_read", {"spreadsheet_id": forecast, "range": "Forecast"})
        text = shown.content[0].text
        assert text.splitlines()[1:4] == [
            "#|A|B|C|D|E",
            "1|Quarter|Revenue|Costs|Margin|Margin %",
            "2|Q1|$120,000.00|$85,000.00|$35,000.00|29.17%",
        ]
        formulas = await call(
            client, "sheets_read", {"spreadsheet_id": forecast, "range": "Totals", "render": "formulas"}
        )
        assert formulas["table"] == '#|A|B|C|D|E\n5|"Total"|=SUM(B2:B4)|=SUM(C2:C4)|=SUM(D2:D4)|=D5/B5'
        typed = await call(
            client, "sheets_read", {"spreadsheet_id": forecast, "range": "Forecast!B2:D2", "render": "typed"}
        )
        assert typed["table"].endswith("2|120000|85000|35000")
        bad = await fails(client, "sheets_read", {"spreadsheet_id": forecast, "range": "Nowhere!A1"})
        assert "cannot read the range 'Nowhere!A1'" in bad and "Its sheets: 'Forecast'; named ranges: Totals" in bad
        control(url, "/_sandbox/quota", {"units_per_second": 0, "sheets_per_minute": 1})  # Sheets' quota, turned down
        await call(client, "sheets_read", {"spreadsheet_id": forecast, "range": "Totals"})
        limited = await fails(client, "sheets_read", {"spreadsheet_id": forecast, "range": "Totals"})
        assert "rate limiting requests (429)" in limited


async def test_a_200_row_sheet_is_paged_by_rows_with_its_header(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    tickets = book_id(url, "Support tickets")
    async with connect(make_settings(url)) as client:
        first = await call(client, "sheets_read", {"spreadsheet_id": tickets, "range": "Tickets", "max_rows": 120})
        assert first["rows"] == 200 and first["next_offset"] == 120 and first["shown"] == "Tickets!A1:J120"
        assert "80 more rows: call again with range='Tickets!A1:J1000', offset=120" in first["note"]
        before = len(requests(url))
        rest = await call(
            client, "sheets_read", {"spreadsheet_id": tickets, "range": first["range"], "offset": 120, "max_rows": 80}
        )
        # a later page reads its own rows and the header, in one request
        (paged,) = requests(url)[before:]
        assert paged["path"].endswith("/values:batchGet") and paged["query"]["ranges"] == [
            "Tickets!A1:J1",
            "Tickets!A121:J201",
        ]
        again = await call(client, "sheets_read", {"spreadsheet_id": tickets, "range": "Tickets", "offset": 120})
    async with connect(make_settings(url, answer_tokens=1000)) as client:  # a host that takes less
        cut = await call(client, "sheets_read", {"spreadsheet_id": tickets, "range": "Tickets"})
    shown_rows = len(cut["table"].splitlines()) - 1
    assert 20 < shown_rows < 60 and cut["next_offset"] == shown_rows and "token budget" in cut["note"]
    lines = rest["table"].splitlines()
    assert lines[1].startswith("1|Ticket|Opened|") and lines[2].startswith("121|T-1120|")
    assert lines[-1].startswith("200|T-1199|") and "next_offset" not in rest and rest["shown"] == "Tickets!A121:J200"
    assert len(first["table"].splitlines()) + len(lines) - 2 == 201
    assert again["table"] == rest["table"]  # a range by name pages too, reading it whole


async def test_writes_are_held_then_done_once_or_declined(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    budget = book_id(url, "team budget")
    async with connect(make_settings(url), person=None) as client:
        held = await call(
            client,
            "sheets_append",
            {"spreadsheet_id": budget, "range": "Budget", "values": [["Dec", 4200, 950, 300, "=SUM(B13:D13)"]]},
        )
        assert held["status"] == "confirmation_required" and writes(url) == []
        assert (
            "after row 12" in held["preview"]["summary"]
            and "13|Dec|4200|950|300|=SUM(B13:D13)" in held["preview"]["details"]
        )
        done = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert done["status"] == "done" and done["result"]["range"] == "Budget!A13:E13"
        again = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert "not run again" in again["message"] and len(writes(url)) == 1
        held = await call(
            client, "sheets_update", {"spreadsheet_id": budget, "range": "Budget!C13", "values": [[1000]]}
        )
        assert "C13: 950 → 1000" in held["preview"]["details"]
        no = await call(client, "cancel_action", {"confirmation_id": held["confirmation_id"]})
        assert no["status"] == "cancelled" and len(writes(url)) == 1
        held = await call(client, "sheets_clear", {"spreadsheet_id": budget, "range": "Notes"})
        assert (
            "1|Owner|Dana Whitfield" in held["preview"]["details"]
            and held["preview"]["summary"] == "4 cells of Notes!A1:D50"
        )
    person = Person()
    async with connect(make_settings(url), person=person) as client:  # the person approves in the client
        kept = await call(
            client, "sheets_update", {"spreadsheet_id": budget, "range": "Budget!B3", "values": [[None, 1400]]}
        )
        assert kept["status"] == "done" and "C3: 1350 → 1400" in person.asked[-1] and "\nB3: " not in person.asked[-1]
        typed = await call(
            client, "sheets_read", {"spreadsheet_id": budget, "range": "Budget!B3:C3", "render": "typed"}
        )
        assert typed["table"].endswith("3|4200|1400")  # null left B3 as it was
        made = await call(client, "sheets_create", {"title": "Offsite costs", "sheets": ["Travel", "Food"]})
        new = made["result"]["spreadsheet_id"]
        added = await call(client, "sheets_add_sheet", {"spreadsheet_id": new, "title": "Venue's costs"})
        assert added["status"] == "done" and added["result"]["range"] == "Venue's costs"
        listed = await call(client, "sheets_list", {"spreadsheet_id": new})
        assert [s["title"] for s in listed["sheets"]] == ["Travel", "Food", "Venue's costs"]
        # a sheet name that must be quoted, through a write, a read and a later page
        rows = [["Item", "Cost"], ["Hall", "$1,500"], ["Chairs", 300]]
        await call(client, "sheets_update", {"spreadsheet_id": new, "range": "'Venue''s costs'!A1", "values": rows})
        page = await call(client, "sheets_read", {"spreadsheet_id": new, "range": "'Venue''s costs'", "max_rows": 2})
        rest = await call(
            client, "sheets_read", {"spreadsheet_id": new, "range": page["range"], "offset": 2, "max_rows": 2}
        )
        assert page["range"] == "'Venue''s costs'!A1:Z1000" and rest["table"].endswith("1|Item|Cost\n3|Chairs|300")
        dup = await fails(client, "sheets_add_sheet", {"spreadsheet_id": budget, "title": "Notes"})
        assert "already has a sheet named 'Notes'" in dup
        shown = await call(
            client, "sheets_read", {"spreadsheet_id": budget, "range": "Budget!A13:E13", "render": "formulas"}
        )
    assert shown["table"].endswith('13|"Dec"|4200|950|300|=SUM(B13:D13)')


async def test_cells_edited_while_the_preview_waits_are_not_overwritten(fresh_sandbox: Any, make_settings: Any) -> None:
    url = fresh_sandbox.url
    budget = book_id(url, "team budget")
    async with connect(make_settings(url), person=None) as client:
        args = {"spreadsheet_id": budget, "range": "Budget!B12:C12", "values": [[4300, 1000]]}
        held = await call(client, "sheets_update", args)
        assert held["preview"]["details"][1:3] == ["B12: 4200 → 4300", "C12: 900 → 1000"]
        # Dana changes C12 in the sheet while Alex reads the preview
        sheets(url).spreadsheets().values().update(
            spreadsheetId=budget, range="Budget!C12", valueInputOption="USER_ENTERED", body={"values": [[1500]]}
        ).execute()
        before = len(writes(url))
        again = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert again["status"] == "confirmation_required" and "C12 (was 900, now 1500)" in again["message"]
        assert "C12: 1500 → 1000" in again["preview"]["details"] and len(writes(url)) == before
        now = run(
            sheets(url)
            .spreadsheets()
            .values()
            .get(spreadsheetId=budget, range="Budget!B12:C12", valueRenderOption="UNFORMATTED_VALUE")
        )
        assert now["values"] == [[4200, 1500]]  # nothing written
        done = await call(client, "confirm_action", {"confirmation_id": again["confirmation_id"]})
        assert done["status"] == "done"
        # a clear too: what the preview showed is what goes, or nothing does
        held = await call(client, "sheets_clear", {"spreadsheet_id": budget, "range": "Notes!A1:B2"})
        sheets(url).spreadsheets().values().update(
            spreadsheetId=budget, range="Notes!B1", valueInputOption="RAW", body={"values": [["Sam Okafor"]]}
        ).execute()
        again = await call(client, "confirm_action", {"confirmation_id": held["confirmation_id"]})
        assert again["status"] == "confirmation_required" and "1|Owner|Sam Okafor" in again["preview"]["details"]
        kept = run(sheets(url).spreadsheets().values().get(spreadsheetId=budget, range="Notes!A1:B2"))
        assert kept["values"] == [["Owner", "Sam Okafor"], ["Approved", "TRUE"]]
    after = run(
        sheets(url)
        .spreadsheets()
        .values()
        .get(spreadsheetId=budget, range="Budget!B12:C12", valueRenderOption="UNFORMATTED_VALUE")
    )
    assert after["values"] == [[4300, 1000]]
