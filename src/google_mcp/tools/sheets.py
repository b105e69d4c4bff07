"""The Sheets tools: thin declarations over the Sheets adapter (google/sheets.py). A write to cells carries
the cells its preview showed; if any changed before the person approved, nothing is written and a fresh
preview comes back (the gate's TargetChanged)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from pydantic import Field

from google_mcp.errors import InvalidInput
from google_mcp.gate import Plan
from google_mcp.google.sheets import spreadsheet_id as parse_id
from google_mcp.google.sheets_models import Block, Render, SheetList, SheetValues, SheetWritten, table
from google_mcp.models import Preview
from google_mcp.registry import DESTRUCTIVE, READ, WRITE, Registrar
from google_mcp.state import AppState

SHOWN = 60  # cells (or rows) a preview lists; the rest are counted
Sid = Annotated[str, Field(description="id or link")]
Range = Annotated[str, Field(description="A1 (Budget!A1:E12), a sheet's name, or a named range")]
Cell = str | int | float | bool | None
Raw = Annotated[bool, Field(description="store text exactly as given, unparsed")]
Values = Annotated[
    list[list[Cell]],
    Field(description="rows of cells, typed as in the UI ('=SUM(B2:B9)', '$1,200', '12%'); null keeps a cell"),
]


def _rows(values: list[list[Cell]]) -> list[list[Any]]:
    if not values or not any(values):
        raise InvalidInput("Give at least one row with at least one cell.")
    if len(values) > 5000 or sum(len(r) for r in values) > 50_000:
        raise InvalidInput("At most 5,000 rows and 50,000 cells a call; split the write.")
    return [list(row) for row in values]  # a null cell is left as it is


def _capped(lines: list[str], what: str) -> list[str]:
    return lines[:SHOWN] + ([f"… and {len(lines) - SHOWN} more {what}"] if len(lines) > SHOWN else [])


# reads ----------------------------------------------------------------------------------------
async def sheets_list(state: AppState, spreadsheet_id: Sid) -> SheetList:
    """The sheets of a spreadsheet with their sizes, and its named ranges."""
    return await state.sheets.sheets(spreadsheet_id)


async def sheets_read(
    state: AppState,
    spreadsheet_id: Sid,
    range: Range,
    render: Annotated[Render, Field(description="typed: numbers unformatted, text quoted")] = "displayed",
    offset: Annotated[int, Field(ge=0, description="rows of the range to skip")] = 0,
    max_rows: Annotated[int, Field(ge=1, le=2000)] = 200,
) -> SheetValues:
    """Read a range as a table: 'row|cell|cell' lines under a line of column letters."""
    return await state.sheets.read(spreadsheet_id, range, render, offset, max_rows)


# writes ---------------------------------------------------------------------------------------
async def sheets_update(state: AppState, spreadsheet_id: Sid, range: Range, values: Values, raw: Raw = False) -> Plan:
    """Write cells from the range's first cell; the preview shows each cell's old and new value."""
    rows = _rows(values)
    sid = parse_id(spreadsheet_id)
    where, before = await state.sheets.cells(sid, range, rows)
    lines, same = state.sheets.changes(where, before, rows)
    if not lines:
        raise InvalidInput(f"{where.a1()} already holds these values; nothing to change.")
    details = [f"Range: {where.a1()} (if a cell changes before approval, nothing is written: a fresh preview)"]
    details += _capped(lines, "cells")
    if same:
        details.append(f"{same} other cells stay as they are" if same > 1 else "1 other cell stays as it is")
    preview = Preview(
        action="Update cells in a Google Sheet",
        summary=f"{len(lines)} cell{'s' if len(lines) > 1 else ''} of {where.a1()}",
        details=details,
    )
    op = {"spreadsheet_id": sid, "block": asdict(where), "before": before, "values": rows, "raw": raw}
    return Plan(preview, op)


async def update_op(state: AppState, op: dict[str, Any]) -> SheetWritten:
    where = Block(**op["block"])
    await state.sheets.unchanged(op["spreadsheet_id"], where, op["before"])
    return await state.sheets.update(op["spreadsheet_id"], where, op["values"], op["raw"])


async def sheets_append(state: AppState, spreadsheet_id: Sid, range: Range, values: Values, raw: Raw = False) -> Plan:
    """Add rows after the last row with data in a range (a sheet's name: the sheet)."""
    rows = _rows(values)
    sid = parse_id(spreadsheet_id)
    where, now = await state.sheets.values(sid, range)
    last = where.row + len(now)  # the last row with data (1-based), or the row above the range
    width = max(len(r) for r in rows)
    lands = Block(where.sheet, last, where.col, len(rows), width)
    details = [f"Into: {where.a1()}, after row {last}" + (f" (now: {'|'.join(map(str, now[-1]))})" if now else "")]
    details.append(f"Adds {lands.a1()}:")
    details += _capped(
        table(lands, [(last + 1 + i, r) for i, r in enumerate(rows)], "displayed").split("\n")[1:], "rows"
    )
    preview = Preview(
        action="Add rows to a Google Sheet",
        summary=f"{len(rows)} row{'s' if len(rows) > 1 else ''} after row {last} of {where.sheet}",
        details=details,
    )
    return Plan(preview, {"spreadsheet_id": sid, "range": where.a1(), "values": rows, "raw": raw})


async def append_op(state: AppState, op: dict[str, Any]) -> SheetWritten:
    return await state.sheets.append(op["spreadsheet_id"], op["range"], op["values"], op["raw"])


async def sheets_clear(state: AppState, spreadsheet_id: Sid, range: Range) -> Plan:
    """Clear the values of a range (formatting stays); the preview shows what goes."""
    sid = parse_id(spreadsheet_id)
    where, now = await state.sheets.values(sid, range)
    _, before = await state.sheets.cells(sid, where.a1())
    filled = sum(1 for row in before for v in row if v != "")
    if not filled:
        raise InvalidInput(f"{where.a1()} is already empty; nothing to clear.")
    rows = [(where.row + 1 + i, r) for i, r in enumerate(now) if any(v != "" for v in r)]
    details = [f"Range: {where.a1()} (if a cell changes before approval, nothing is cleared: a fresh preview)"]
    details += _capped(table(where, rows, "displayed").split("\n"), "rows")
    preview = Preview(
        action="Clear cells in a Google Sheet", summary=f"{filled} cells of {where.a1()}", details=details
    )
    return Plan(preview, {"spreadsheet_id": sid, "block": asdict(where), "before": before})


async def clear_op(state: AppState, op: dict[str, Any]) -> SheetWritten:
    where = Block(**op["block"])
    await state.sheets.unchanged(op["spreadsheet_id"], where, op["before"])
    return await state.sheets.clear(op["spreadsheet_id"], where)


async def sheets_create(
    state: AppState,
    title: str,
    sheets: Annotated[list[str], Field(description="sheet names; default one 'Sheet1'")] = [],  # noqa: B006
) -> Plan:
    """Create a spreadsheet."""
    if not title.strip():
        raise InvalidInput("Give the spreadsheet a title.")
    names = [n.strip() for n in sheets]
    if any(not n for n in names) or len(set(names)) != len(names):
        raise InvalidInput("Sheet names must be non-empty and different.")
    details = [f"Sheets: {', '.join(names) if names else 'Sheet1'}"]
    preview = Preview(action="Create a Google Sheet", summary=title, details=details)
    return Plan(preview, {"title": title, "sheets": names})


async def create_op(state: AppState, op: dict[str, Any]) -> SheetWritten:
    return await state.sheets.create(op["title"], op["sheets"])


async def sheets_add_sheet(state: AppState, spreadsheet_id: Sid, title: str) -> Plan:
    """Add a sheet (tab) to a spreadsheet."""
    listed = await state.sheets.sheets(spreadsheet_id)
    if not title.strip():
        raise InvalidInput("Give the sheet a name.")
    if title in {s.title for s in listed.sheets}:
        raise InvalidInput(f"{listed.title!r} already has a sheet named {title!r}.")
    preview = Preview(
        action="Add a sheet to a Google Sheet",
        summary=f"{listed.title}: a sheet {title!r}",
        details=[f"Sheets now: {', '.join(s.title for s in listed.sheets)}"],
    )
    return Plan(preview, {"spreadsheet_id": listed.spreadsheet_id, "title": title})


async def add_sheet_op(state: AppState, op: dict[str, Any]) -> SheetWritten:
    return await state.sheets.add_sheet(op["spreadsheet_id"], op["title"])


def register(tool: Registrar) -> None:
    tool(title="List the sheets of a spreadsheet", annotations=READ)(sheets_list)
    tool(title="Read a Google Sheet range", annotations=READ)(sheets_read)
    tool(title="Update cells in a Google Sheet", annotations=DESTRUCTIVE, execute=update_op)(sheets_update)
    tool(title="Add rows to a Google Sheet", annotations=WRITE, execute=append_op)(sheets_append)
    tool(title="Clear cells in a Google Sheet", annotations=DESTRUCTIVE, execute=clear_op)(sheets_clear)
    tool(title="Create a Google Sheet", annotations=WRITE, execute=create_op)(sheets_create)
    tool(title="Add a sheet to a Google Sheet", annotations=WRITE, execute=add_sheet_op)(sheets_add_sheet)
