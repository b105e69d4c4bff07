"""Seeded spreadsheets and a presentation, among the mailbox's people: a monthly budget, a 200-row ticket log,
a forecast with formulas and a named range, one owned by someone else (403), and a deck with speaker notes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import google_mcp.sandbox.sheets as s
import google_mcp.sandbox.slides as sl

from .sheets_api import SheetsApi
from .slides_api import SlidesApi

# fixed ids, as a person's own files keep theirs (tests and benches name them)
BUDGET = "1SheetBudget2026xxxxxxxxxxxxxxxxxxxxxxxxxxx"
TICKETS = "1SheetTickets2026xxxxxxxxxxxxxxxxxxxxxxxxxx"
FORECAST = "1SheetForecastQ3xxxxxxxxxxxxxxxxxxxxxxxxxxx"
DECK = "1SlidesApolloReviewxxxxxxxxxxxxxxxxxxxxxxxx"
SPREADSHEET = "application/vnd.google-apps.spreadsheet"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov"]
PEOPLE = ["Dana Whitfield", "Priya Raman", "Marcus Chen", "Lena Fischer", "Sam Okafor", "José Müller"]
CUSTOMERS = ["Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises"]
STATUSES = ["Open", "Pending", "Closed", "Closed", "Escalated"]


def fill(sheet: s.Sheet, rows: list[list[Any]], fmt: dict[int, str] | None = None) -> s.Sheet:
    for r, row in enumerate(rows):
        for c, raw in enumerate(row):
            cell = s.entered(raw, user_entered=True)
            if cell is not None:
                if fmt and c in fmt and r and cell.formula is None and isinstance(cell.value, float):
                    cell.fmt = fmt[c]
                if cell.formula is not None and fmt and c in fmt:
                    cell.fmt = fmt[c]
                sheet.cells[(r, c)] = cell
    return sheet


def aged(sheets: SheetsApi, book_id: str, days: int) -> None:
    book, when = sheets.books[book_id], sheets.sb.now() - timedelta(days=days)
    book.created = book.modified = when
    sheets.sb.docs.files[book_id].created = sheets.sb.docs.files[book_id].modified = when


def seed_sheets(sheets: SheetsApi, slides: SlidesApi, full: bool = True) -> None:
    sheets.reset()
    slides.reset()
    if not full:
        return
    money = {1: "currency", 2: "currency", 3: "currency", 4: "currency"}
    budget_rows: list[list[Any]] = [["Month", "Rent", "Travel", "Tools", "Total"]]
    for n, month in enumerate(MONTHS, 2):
        budget_rows.append([month, 4200, 900 + 150 * (n % 4), 350 + 25 * (n % 3), f"=SUM(B{n}:D{n})"])
    budget = fill(s.Sheet(0, "Budget", rows=100, columns=8, frozen_rows=1), budget_rows, money)
    notes = fill(s.Sheet(1, "Notes", rows=50, columns=4), [["Owner", "Dana Whitfield"], ["Approved", "TRUE"]])
    sheets.new("2026 team budget", [budget, notes], book_id=BUDGET)

    tickets: list[list[Any]] = [["Ticket", "Opened", "Customer", "Owner", "Status", "Hours"]]
    for n in range(1, 200):
        tickets.append(
            [
                f"T-{1000 + n}",
                f"2026-{1 + n % 11:02d}-{1 + n % 27:02d}",
                CUSTOMERS[n % len(CUSTOMERS)],
                PEOPLE[n % len(PEOPLE)],
                STATUSES[n % len(STATUSES)],
                round(0.5 + (n * 7 % 23) / 2, 1),
            ]
        )
    sheets.new("Support tickets 2026", [fill(s.Sheet(0, "Tickets", rows=1000, columns=10), tickets)], book_id=TICKETS)

    forecast = fill(
        s.Sheet(0, "Forecast", rows=100, columns=6),
        [
            ["Quarter", "Revenue", "Costs", "Margin", "Margin %"],
            ["Q1", 120000, 85000, "=B2-C2", "=D2/B2"],
            ["Q2", 135000, 90000, "=B3-C3", "=D3/B3"],
            ["Q3", 150000, 97000, "=B4-C4", "=D4/B4"],
            ["Total", "=SUM(B2:B4)", "=SUM(C2:C4)", "=SUM(D2:D4)", "=D5/B5"],
        ],
        {1: "currency", 2: "currency", 3: "currency", 4: "percent"},
    )
    book = sheets.new("Q3 forecast (Marcus Chen)", [forecast], book_id=FORECAST)
    book.named["Totals"] = ("nr_totals", 0, (4, 0, 5, 5))
    book.named["Revenue"] = ("nr_revenue", 0, (1, 1, 4, 2))

    # the Drive file the Docs seed lists as a spreadsheet ("Q3 budget") is one Sheets can open too, as at Google
    stub = sheets.sb.docs.files.get("1file0seed")
    if stub is not None and stub.mime_type == SPREADSHEET:
        q3: list[list[Any]] = [["Item", "Q3", "Q4"], ["Travel", 12000, 8000], ["Tools", 3500, 3500]]
        made = sheets.new(stub.title, [fill(s.Sheet(0, "Sheet1"), q3)], book_id=stub.id)
        made.created, made.modified = stub.created, stub.modified
        live = sheets.sb.docs.files[stub.id]  # the same Drive file: its folder, sharing and version stay
        live.created, live.modified = stub.created, stub.modified
        live.parents, live.permissions, live.version = stub.parents, stub.permissions, stub.version

    for book_id, days in ((BUDGET, 1), (TICKETS, 4), (FORECAST, 6)):  # edited a while ago, as a person's are
        aged(sheets, book_id, days)

    # shared by nobody: someone else's, which the account cannot open
    sheets.new("Jordan's private forecast", [s.Sheet(0, "Sheet1")], owner="jordan.lee@example.com")

    slides.new(
        "November product review",
        [
            sl.slide(
                "TITLE",
                {"CENTERED_TITLE": "Apollo launch review", "SUBTITLE": "Team Apollo · November 2026"},
                notes="Welcome everyone; Dana joins from Berlin.",
            ),
            sl.slide(
                "TITLE_AND_BODY",
                {
                    "TITLE": "Where we are",
                    "BODY": "Security review done\nPricing page in review\nMobile beta: 400 users",
                },
                notes="Priya owns the load test; mention the Apollo beta feedback.",
            ),
            sl.slide(
                "TITLE_AND_BODY",
                {"TITLE": "Next steps", "BODY": "Sign the contract (Dana)\nLaunch on Tuesday 10:00\nApollo FAQ (Alex)"},
            ),
        ],
        deck_id=DECK,
    )
