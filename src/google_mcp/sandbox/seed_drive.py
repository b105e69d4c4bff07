"""Seeded Drive files of each kind, in folders: a PDF with real text, Office files, a Latin-1 text file, an
image, a spreadsheet and a presentation whose exports give CSV and text, and one file already shared."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from google_mcp.sandbox.blobs import docx, pdf, png, pptx, xlsx
from google_mcp.sandbox.docstore import FOLDER

if TYPE_CHECKING:
    from .host import Host

SHEET = "application/vnd.google-apps.spreadsheet"
SLIDES = "application/vnd.google-apps.presentation"
OFFICE = "application/vnd.openxmlformats-officedocument."
MENU = "Café du Marché\nCrème brûlée: 7,50\nSoupe à l'oignon: 9,00\n"
CONTRACT = [
    "Master services agreement",
    "Between Example Corp and Acme Ltd.",
    "Term: 12 months from 1 December 2026.",
    "Fees: 4,000 EUR per month, invoiced quarterly.",
]
BUDGET_CSV = "Item,Q3,Q4\r\nTravel,12000,8000\r\nTools,3500,3500\r\n"
DECK = (
    "Apollo launch\r\nWhy now\r\nThe market moved; we ship in Q3.\r\nTimeline\r\n"
    "Beta in October, launch in November.\r\n"
)


BUDGET_ID = "1file0seed"


def seed_drive(sb: Host, full: bool = True) -> None:
    if not full:
        return
    store, now = sb.docs, sb.now()

    projects = store.add("Projects", FOLDER, now - timedelta(days=90))
    apollo = store.add("Apollo", FOLDER, now - timedelta(days=60), projects.id)
    contracts = store.add("Contracts", FOLDER, now - timedelta(days=50), apollo.id)
    photos = store.add("Photos", FOLDER, now - timedelta(days=30))
    for doc in store.documents.values():
        if doc.title.startswith(("Apollo launch", "Meeting notes")):
            doc.parents = [apollo.id]
    files = [
        ("Signed contract.pdf", "application/pdf", contracts.id, pdf(CONTRACT), " ".join(CONTRACT), 4),
        (
            "Launch plan.docx",
            OFFICE + "wordprocessingml.document",
            apollo.id,
            docx(["Launch plan", "Beta opens to 200 customers in October.", "Café owners get early access."]),
            "Launch plan Beta opens to 200 customers in October.",
            6,
        ),
        (
            "Budget 2026.xlsx",
            OFFICE + "spreadsheetml.sheet",
            apollo.id,
            xlsx([["Item", "Q1", "Q2"], ["Travel", 9000, 11000], ["Tools", 3200, 3400.5]]),
            "",
            7,
        ),
        (
            "Kickoff.pptx",
            OFFICE + "presentationml.presentation",
            apollo.id,
            pptx([["Kickoff", "Team Apollo"], ["Goals", "Ship the beta", "Hire two engineers"]]),
            "",
            8,
        ),
        ("Menu.txt", "text/plain", "root", MENU.encode("latin-1"), MENU, 10),
        ("Team photo.png", "image/png", photos.id, png(4, 3), "", 12),
    ]
    for name, mime, parent, data, text, days in files:
        made = store.add(name, mime, now - timedelta(days=days), parent, data=data, content=text)
        made.modified = now - timedelta(days=days - 1)
    budget = store.add(
        "Q3 budget",
        SHEET,
        now - timedelta(days=3),
        apollo.id,
        content="Travel 12000 Tools 3500",
        exports={"text/csv": BUDGET_CSV.encode()},
    )
    store.files[BUDGET_ID] = store.files.pop(budget.id)  # a fixed id: the Sheets seed opens this one too
    budget.id = BUDGET_ID
    budget.permissions.append(
        {"kind": "drive#permission", "id": "0" * 19 + "7", "type": "user", "role": "writer",
         "emailAddress": "dana.whitfield@example.com", "displayName": "Dana Whitfield"}
    )  # fmt: skip
    store.add(
        "Roadmap deck",
        SLIDES,
        now - timedelta(days=2),
        apollo.id,
        content=DECK,
        exports={"text/plain": DECK.encode()},
    )
