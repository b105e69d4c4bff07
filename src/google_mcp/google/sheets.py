"""Google Sheets as typed operations over the Google client.

Ranges are what Sheets reads (A1, a sheet's name, a named range); Sheets itself resolves them, and every
answer names the range as Sheets normalised it. Sheets has no conditional write, so a write carries the
cells its preview showed and is checked against a fresh read just before it goes out (`unchanged`).
"""

from __future__ import annotations

import re
from typing import Any

from google_mcp.errors import InvalidInput, TargetChanged
from google_mcp.google.client import GoogleClient
from google_mcp.google.pages import fits, tokens
from google_mcp.google.sheets_models import (
    RENDER_OPTION,
    Block,
    Render,
    SheetInfo,
    SheetList,
    SheetValues,
    SheetWritten,
    block,
    explicit,
    padded,
    shown,
    table,
)

Rows = list[list[Any]]


def spreadsheet_id(text: str) -> str:
    found = re.search(r"/spreadsheets/d/([\w-]{20,})", text)
    sid = found.group(1) if found else text.strip()
    if not re.fullmatch(r"[\w-]{10,}", sid):
        raise InvalidInput(f"{text!r} is not a spreadsheet id; use an id or link (Drive search finds them).")
    return sid


def link(sid: str) -> str:
    return f"https://docs.google.com/spreadsheets/d/{sid}/edit"


class Sheets:
    def __init__(self, client: GoogleClient) -> None:
        self.client = client

    async def meta(self, sid: str) -> dict[str, Any]:
        sid = spreadsheet_id(sid)
        got: dict[str, Any] = await self.client.execute(
            "sheets",
            lambda s: s.spreadsheets().get(spreadsheetId=sid, includeGridData=False),
            what=f"reading spreadsheet {sid}",
        )
        return got

    async def sheets(self, sid: str) -> SheetList:
        meta = await self.meta(sid)
        titles = {}
        sheets = []
        for sheet in meta.get("sheets", []):
            props = sheet.get("properties", {})
            grid = props.get("gridProperties", {})
            titles[props.get("sheetId", 0)] = props.get("title", "")
            sheets.append(
                SheetInfo(
                    title=props.get("title", ""),
                    sheet_id=props.get("sheetId", 0),
                    rows=grid.get("rowCount", 0),
                    columns=grid.get("columnCount", 0),
                )
            )
        named = []
        for nr in meta.get("namedRanges", []):
            g = nr.get("range", {})
            r0, c0 = g.get("startRowIndex", 0), g.get("startColumnIndex", 0)
            r1, c1 = g.get("endRowIndex", r0 + 1), g.get("endColumnIndex", c0 + 1)
            where = Block(titles.get(g.get("sheetId", 0), "?"), r0, c0, r1 - r0, c1 - c0).a1()
            named.append(f"{nr.get('name')} = {where}")
        sid = meta["spreadsheetId"]
        title = meta.get("properties", {}).get("title", "")
        return SheetList(spreadsheet_id=sid, title=title, link=link(sid), sheets=sheets, named_ranges=named)

    async def values(self, sid: str, rng: str, render: Render = "displayed") -> tuple[Block, Rows]:
        sid = spreadsheet_id(sid)
        try:
            got = await self.client.execute(
                "sheets",
                lambda s: (
                    s.spreadsheets().values().get(spreadsheetId=sid, range=rng, valueRenderOption=RENDER_OPTION[render])
                ),
                what=f"reading range {rng!r}",
            )
        except InvalidInput as exc:
            if "Unable to parse range" not in str(exc):
                raise
            known = await self.sheets(sid)  # say what there is to read
            names = ", ".join(repr(s.title) for s in known.sheets)
            named = f"; named ranges: {', '.join(known.named_ranges)}" if known.named_ranges else ""
            raise InvalidInput(
                f"Sheets cannot read the range {rng!r}. Give A1 (Sheet1!A1:D20), a sheet's name or a named range. "
                f"Its sheets: {names}{named}."
            ) from None
        return block(got["range"]), got.get("values", [])

    def budget(self, head: Rows) -> int:
        """Tokens the rows of a page may take: the answer's budget less its head line and the range's first row."""
        return self.client.settings.answer_tokens - 100 - (tokens("|".join(map(str, head[0]))) if head else 0)

    async def _page(self, sid: str, where: Block, render: Render, offset: int, max_rows: int) -> tuple[Rows, Rows]:
        """The range's first row and the page's rows (one more, to tell whether more follow): one request."""
        ranges = [where.rows(0, 1).a1(), where.rows(offset, max_rows + 1).a1()]
        got = await self.client.execute(
            "sheets",
            lambda s: (
                s.spreadsheets()
                .values()
                .batchGet(spreadsheetId=sid, ranges=ranges, valueRenderOption=RENDER_OPTION[render])
            ),
            what=f"reading rows of {where.a1()}",
        )
        head, page = [*got.get("valueRanges", []), {}, {}][:2]
        return head.get("values", [])[:1], page.get("values", [])

    async def read(self, sid: str, rng: str, render: Render, offset: int, max_rows: int) -> SheetValues:
        """A page of a range. The first page reads the range whole (to count its rows); a later page of a range
        given as Sheets names it (the `range` of an answer) reads only its rows and the range's first row."""
        sid = spreadsheet_id(sid)
        where = explicit(rng) if offset else None
        total: int | None = None
        if where is not None and offset < where.height:
            head, page = await self._page(sid, where, render, offset, max_rows)
            more, page = len(page) > max_rows, page[:max_rows]
        else:
            where, rows = await self.values(sid, rng, render)
            head, page, total = rows[:1], rows[offset : offset + max_rows], len(rows)
            more = offset + max_rows < len(rows)
        # as many rows as the answer's token budget holds (hosts cap a tool's answer)
        fit = fits(page, len(page), lambda row: tokens("|".join(map(str, row))) + 2, self.budget(head))
        cut = fit < len(page)
        if cut:
            page, more = page[:fit], True
        numbered = [(where.row + offset + i + 1, cells) for i, cells in enumerate(page)]
        if offset and head:  # the range's first row (its header, usually) on every page
            numbered.insert(0, (where.row + 1, head[0]))
        notes = []
        if more:
            left = f"{total - offset - len(page)} more rows" if total is not None else "More rows"
            why = " (cut to fit the answer's token budget)" if cut else ""
            notes.append(f"{left}{why}: call again with range={where.a1()!r}, offset={offset + len(page)}.")
        if not page:
            notes.append("No rows with data here." if offset else "The range is empty.")
        piece = where.rows(offset, len(page)) if page else where.rows(0, 1)
        return SheetValues(
            spreadsheet_id=sid,
            range=where.a1(),
            render=render,
            rows=total,
            shown=piece.a1(),
            table=table(where, numbered, render),
            next_offset=offset + len(page) if more else None,
            note=" ".join(notes) or None,
        )

    async def cells(self, sid: str, rng: str, values: Rows | None = None) -> tuple[Block, Rows]:
        """The block a write covers (the range, or from a single cell as far as `values` reach) and what its
        cells hold now, as entered (formulas as formulas), padded to the block."""
        where, now = await self.values(sid, rng, "formulas")
        asked = where
        if values is not None:
            height, width = len(values), max((len(r) for r in values), default=0)
            if (where.height, where.width) != (1, 1) and (height > where.height or width > where.width):
                raise InvalidInput(
                    f"{height}×{width} values do not fit {where.a1()} ({where.height}×{where.width}); give a range "
                    f"as large as the values, or only its first cell ({where.sheet}!{where.cell(0, 0)})."
                )
            where = Block(where.sheet, where.row, where.col, height, width)
        if where.height > asked.height or where.width > asked.width:  # beyond the one cell named: read them
            _, now = await self.values(sid, where.a1(), "formulas")
        return where, padded(now, where.height, where.width)

    @staticmethod
    def changes(where: Block, before: Rows, after: Rows) -> tuple[list[str], int]:
        """'B13: old → new' for each cell that changes, and how many stay as they are."""
        lines, same = [], 0
        for i, row in enumerate(after):
            for j, new in enumerate(row):
                old = before[i][j]
                if str(old) == str(new if new is not None else old):
                    same += 1
                else:
                    lines.append(f"{where.cell(i, j)}: {shown(old)} → {shown(new)}")
        return lines, same

    async def unchanged(self, sid: str, where: Block, before: Rows) -> None:
        """Raise TargetChanged (nothing written) if any cell of the block differs from what the preview read."""
        _, now = await self.values(sid, where.a1(), "formulas")
        now = padded(now, where.height, where.width)
        moved = [
            f"{where.cell(i, j)} (was {shown(before[i][j])}, now {shown(now[i][j])})"
            for i in range(where.height)
            for j in range(where.width)
            if str(now[i][j]) != str(before[i][j])
        ]
        if moved:
            listed = ", ".join(moved[:5]) + (f" and {len(moved) - 5} more" if len(moved) > 5 else "")
            raise TargetChanged(f"Cells changed since the preview: {listed}; nothing was written.")

    # writing ------------------------------------------------------------------------------------
    async def update(self, sid: str, where: Block, values: Rows, raw: bool) -> SheetWritten:
        body = {"values": values, "majorDimension": "ROWS"}
        got = await self.client.execute(
            "sheets",
            lambda s: (
                s.spreadsheets()
                .values()
                .update(
                    spreadsheetId=sid, range=where.a1(), valueInputOption="RAW" if raw else "USER_ENTERED", body=body
                )
            ),
            what=f"writing {where.a1()}",
            retry=False,
        )
        return SheetWritten(
            spreadsheet_id=sid, range=got.get("updatedRange"), cells=got.get("updatedCells", 0), link=link(sid)
        )

    async def append(self, sid: str, rng: str, values: Rows, raw: bool) -> SheetWritten:
        body = {"values": values, "majorDimension": "ROWS"}
        got = await self.client.execute(
            "sheets",
            lambda s: (
                s.spreadsheets()
                .values()
                .append(
                    spreadsheetId=sid,
                    range=rng,
                    valueInputOption="RAW" if raw else "USER_ENTERED",
                    insertDataOption="INSERT_ROWS",
                    body=body,
                )
            ),
            what=f"appending rows to {rng!r}",
            retry=False,
        )
        updates = got.get("updates", {})
        return SheetWritten(
            spreadsheet_id=sid, range=updates.get("updatedRange"), cells=updates.get("updatedCells", 0), link=link(sid)
        )

    async def clear(self, sid: str, where: Block) -> SheetWritten:
        got = await self.client.execute(
            "sheets",
            lambda s: s.spreadsheets().values().clear(spreadsheetId=sid, range=where.a1(), body={}),
            what=f"clearing {where.a1()}",
            retry=False,
        )
        return SheetWritten(spreadsheet_id=sid, range=got.get("clearedRange"), link=link(sid))

    async def create(self, title: str, sheets: list[str]) -> SheetWritten:
        body: dict[str, Any] = {"properties": {"title": title}}
        if sheets:
            body["sheets"] = [{"properties": {"title": name}} for name in sheets]
        got = await self.client.execute(
            "sheets", lambda s: s.spreadsheets().create(body=body), what="creating a spreadsheet", retry=False
        )
        sid = got["spreadsheetId"]
        return SheetWritten(spreadsheet_id=sid, link=link(sid))

    async def add_sheet(self, sid: str, title: str) -> SheetWritten:
        body = {"requests": [{"addSheet": {"properties": {"title": title}}}]}
        got = await self.client.execute(
            "sheets",
            lambda s: s.spreadsheets().batchUpdate(spreadsheetId=sid, body=body),
            what=f"adding the sheet {title!r}",
            retry=False,
        )
        props = got["replies"][0]["addSheet"]["properties"]
        return SheetWritten(spreadsheet_id=sid, range=props.get("title"), sheet_id=props.get("sheetId"), link=link(sid))
