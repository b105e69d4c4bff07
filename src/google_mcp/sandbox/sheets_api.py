"""Sheets v4 over HTTP: spreadsheets get/create/batchUpdate (addSheet) and values get/batchGet/append/update/
clear, with Google's errors ("Unable to parse range", 404, 403) and its per-minute request quota."""

from __future__ import annotations

import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import google_mcp.sandbox.sheets as s
from google_mcp.sandbox.docstore import File

from .errors import ApiError, bad_request, not_found
from .routing import Call, Method, Router

if TYPE_CHECKING:
    from .host import Host

A = "https://www.googleapis.com/auth/"
READ = (A + "spreadsheets", A + "spreadsheets.readonly", A + "drive", A + "drive.readonly", A + "drive.file")
WRITE = (A + "spreadsheets", A + "drive", A + "drive.file")
V = "/v4/spreadsheets"
MIME = "application/vnd.google-apps.spreadsheet"
RENDERS = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")


@dataclass
class SheetFile(File):
    """A spreadsheet as Drive sees it: its text is its cells, read when asked."""

    book: s.Book | None = None

    def text(self) -> str:
        return s.text_of(self.book) if self.book is not None else self.content

    def export(self, mime_type: str) -> bytes | None:
        if self.book is None or mime_type != "text/csv":  # Drive exports a spreadsheet's first sheet as CSV
            return super().export(mime_type)
        return s.csv_of(self.book, self.book.sheets[0]).encode()


class SheetsApi:
    def __init__(self, sandbox: Host) -> None:
        self.sb = sandbox
        self.books: dict[str, s.Book] = {}
        self.per_minute = 0  # Sheets' per-user request quota (reads and writes each); 0: off
        self._calls: dict[str, deque[float]] = {}

    def reset(self) -> None:
        self.books.clear()
        self.per_minute = 0
        self._calls.clear()

    def register(self, r: Router) -> None:
        for method, path, handler, method_id, scopes in [
            ("GET", V + "/{id}/values:batchGet", self.batch_get, "sheets.spreadsheets.values.batchGet", READ),
            ("POST", V + "/{id}/values/{range}:append", self.append, "sheets.spreadsheets.values.append", WRITE),
            ("POST", V + "/{id}/values/{range}:clear", self.clear, "sheets.spreadsheets.values.clear", WRITE),
            ("GET", V + "/{id}/values/{range}", self.get_values, "sheets.spreadsheets.values.get", READ),
            ("PUT", V + "/{id}/values/{range}", self.update, "sheets.spreadsheets.values.update", WRITE),
            ("POST", V + "/{id}:batchUpdate", self.batch_update, "sheets.spreadsheets.batchUpdate", WRITE),
            ("GET", V + "/{id}", self.get, "sheets.spreadsheets.get", READ),
            ("POST", V, self.create, "sheets.spreadsheets.create", WRITE),
        ]:
            r.add(method, path, Method(handler, method_id), scopes)

    # the store ------------------------------------------------------------------------------
    def new(
        self, title: str, sheets: list[s.Sheet] | None = None, owner: str | None = None, book_id: str = ""
    ) -> s.Book:
        """A spreadsheet of the acting account, known to Drive (its docstore) as a file."""
        book_id = book_id or "1" + secrets.token_urlsafe(32).replace("-", "x").replace("_", "y")[:43]
        now = self.sb.now()
        address = owner or self.sb.docs.owner[1]
        book = s.Book(book_id, title, address, now, now, sheets or [s.Sheet(0, "Sheet1")])
        self.books[book_id] = book
        if address == self.sb.docs.owner[1]:
            self.sb.docs.files[book_id] = SheetFile(book_id, title, MIME, now, now, self.sb.docs.owner, book=book)
        return book

    def touched(self, book: s.Book) -> None:
        book.modified = self.sb.now()
        found = self.sb.docs.files.get(book.id)
        if found is not None:
            found.modified = book.modified

    def _quota(self, kind: str) -> None:
        if not self.per_minute:
            return
        now = time.monotonic()
        calls = self._calls.setdefault(kind, deque())
        while calls and calls[0] <= now - 60:
            calls.popleft()
        if len(calls) >= self.per_minute:
            metric = "Read requests" if kind == "read" else "Write requests"
            raise ApiError(
                429,
                f"Quota exceeded for quota metric '{metric}' and limit '{metric} per minute per user' of service "
                "'sheets.googleapis.com'.",
                "rateLimitExceeded",
            )
        calls.append(now)

    def _book(self, call: Call, kind: str = "read") -> s.Book:
        book = self.books.get(call.params["id"])
        if book is None:
            raise not_found("Requested entity was not found.")
        if book.owner != self.sb.docs.owner[1]:
            raise ApiError(403, "The caller does not have permission", "forbidden")
        self._quota(kind)
        return book

    # JSON -----------------------------------------------------------------------------------
    def sheet_json(self, book: s.Book, sheet: s.Sheet, index: int, grid: s.Grid | None = None) -> dict[str, Any]:
        grid_props: dict[str, Any] = {"rowCount": sheet.rows, "columnCount": sheet.columns}
        if sheet.frozen_rows:
            grid_props["frozenRowCount"] = sheet.frozen_rows
        props: dict[str, Any] = {"sheetId": sheet.sheet_id, "title": sheet.title, "sheetType": "GRID"}
        if index:
            props["index"] = index
        props["gridProperties"] = grid_props
        out: dict[str, Any] = {"properties": props}
        if grid is not None:
            r0, c0, r1, c1 = grid
            rows = []
            for r in range(r0, min(r1, sheet.rows)):
                cells = []
                for c in range(c0, min(c1, sheet.columns)):
                    cell = sheet.cells.get((r, c))
                    cells.append(self._cell_data(book, sheet, cell, (r, c)) if cell else {})
                rows.append({"values": cells})
            data: dict[str, Any] = {"rowData": rows}
            if r0:
                data["startRow"] = r0
            if c0:
                data["startColumn"] = c0
            out["data"] = [data]
        return out

    @staticmethod
    def _typed(value: Any) -> dict[str, Any]:
        if isinstance(value, bool):
            return {"boolValue": value}
        if isinstance(value, float):
            return {"numberValue": value}
        if str(value).startswith("#"):
            return {"errorValue": {"type": "ERROR", "message": str(value)}}
        return {"stringValue": str(value)}

    def _cell_data(self, book: s.Book, sheet: s.Sheet, cell: s.Cell, at: tuple[int, int]) -> dict[str, Any]:
        value = s.computed(book, sheet, at)
        entered = {"formulaValue": cell.formula} if cell.formula else self._typed(cell.value)
        return {
            "userEnteredValue": entered,
            "effectiveValue": self._typed(value),
            "formattedValue": s.formatted(value, cell.fmt),
        }

    def book_json(self, book: s.Book, ranges: list[str] | None = None, grid_data: bool = False) -> dict[str, Any]:
        wanted: dict[int, s.Grid] = {}
        for text in ranges or []:
            sheet, asked = s.parse_range(book, text)
            wanted[sheet.sheet_id] = asked
        sheets = []
        for n, sheet in enumerate(book.sheets):
            if ranges and sheet.sheet_id not in wanted:
                continue
            full = (0, 0, sheet.rows, sheet.columns)
            sheets.append(self.sheet_json(book, sheet, n, wanted.get(sheet.sheet_id, full) if grid_data else None))
        out: dict[str, Any] = {
            "spreadsheetId": book.id,
            "properties": {
                "title": book.title,
                "locale": book.locale,
                "autoRecalc": "ON_CHANGE",
                "timeZone": book.time_zone,
            },
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.id}/edit",
        }
        if book.named:
            out["namedRanges"] = [
                {"namedRangeId": nid, "name": name, "range": self._grid_range(sheet_id, grid)}
                for name, (nid, sheet_id, grid) in book.named.items()
            ]
        return out

    @staticmethod
    def _grid_range(sheet_id: int, grid: s.Grid) -> dict[str, Any]:
        r0, c0, r1, c1 = grid
        out: dict[str, Any] = {"startRowIndex": r0, "endRowIndex": r1, "startColumnIndex": c0, "endColumnIndex": c1}
        if sheet_id:
            out["sheetId"] = sheet_id
        return {k: v for k, v in out.items() if v or k in ("endRowIndex", "endColumnIndex")}

    # spreadsheets -----------------------------------------------------------------------------
    def get(self, call: Call) -> dict[str, Any]:
        book = self._book(call)
        return self.book_json(book, call.args("ranges"), call.bool_arg("includeGridData"))

    def create(self, call: Call) -> dict[str, Any]:
        self._quota("write")
        body = call.json()
        title = str((body.get("properties") or {}).get("title") or "Untitled spreadsheet")
        sheets = []
        for n, spec in enumerate(body.get("sheets") or []):
            props = spec.get("properties") or {}
            sheets.append(
                s.Sheet(
                    int(props.get("sheetId", n and secrets.randbelow(2**30))),
                    str(props.get("title") or f"Sheet{n + 1}"),
                )
            )
        return self.book_json(self.new(title, sheets or None))

    def batch_update(self, call: Call) -> dict[str, Any]:
        book = self._book(call, "write")
        requests = call.json().get("requests")
        if not isinstance(requests, list) or not requests:
            raise bad_request("Must specify at least one request.")
        replies = []
        added: list[s.Sheet] = []
        for n, request in enumerate(requests):
            if not isinstance(request, dict) or list(request) != ["addSheet"]:
                kind = next(iter(request), "?") if isinstance(request, dict) else "?"
                raise bad_request(f"Invalid requests[{n}]: {kind} is not supported by this sandbox (only addSheet).")
            props = (request["addSheet"] or {}).get("properties") or {}
            title = str(props.get("title") or f"Sheet{len(book.sheets) + len(added) + 1}")
            if book.sheet(title) or any(a.title == title for a in added):
                raise bad_request(
                    f'Invalid requests[{n}].addSheet: A sheet with the name "{title}" already exists. '
                    "Please enter another name."
                )
            grid = props.get("gridProperties") or {}
            sheet = s.Sheet(
                int(props.get("sheetId") or secrets.randbelow(2**30) + 1),
                title,
                int(grid.get("rowCount", 1000)),
                int(grid.get("columnCount", 26)),
            )
            added.append(sheet)
            replies.append({"addSheet": self.sheet_json(book, sheet, len(book.sheets) + len(added) - 1)})
        book.sheets += added  # all or nothing
        self.touched(book)
        return {"spreadsheetId": book.id, "replies": replies}

    # values -----------------------------------------------------------------------------------
    @staticmethod
    def _render(call: Call) -> str:
        how = call.arg("valueRenderOption") or "FORMATTED_VALUE"
        if how not in RENDERS:
            raise bad_request(f"Invalid value at 'value_render_option' ({how})")
        if (call.arg("majorDimension") or "ROWS") != "ROWS":
            raise bad_request("Only majorDimension=ROWS is supported by this sandbox.")
        return how

    def _range(self, book: s.Book, text: str, how: str) -> dict[str, Any]:
        sheet, grid = s.parse_range(book, text)
        grid = (grid[0], grid[1], min(grid[2], sheet.rows), min(grid[3], sheet.columns))
        out: dict[str, Any] = {"range": s.a1(sheet, grid), "majorDimension": "ROWS"}
        rows = s.values(book, sheet, grid, how)
        if rows:
            out["values"] = rows
        return out

    def get_values(self, call: Call) -> dict[str, Any]:
        return self._range(self._book(call), call.params["range"], self._render(call))

    def batch_get(self, call: Call) -> dict[str, Any]:
        book, how = self._book(call), self._render(call)
        return {"spreadsheetId": book.id, "valueRanges": [self._range(book, r, how) for r in call.args("ranges")]}

    @staticmethod
    def _input(call: Call) -> bool:
        option = call.arg("valueInputOption")
        if option not in ("RAW", "USER_ENTERED"):
            raise bad_request(
                "'valueInputOption' is required but not specified"
                if not option
                else f"Invalid value at 'value_input_option' ({option})"
            )
        return option == "USER_ENTERED"

    @staticmethod
    def _rows(body: dict[str, Any]) -> list[list[Any]]:
        rows = body.get("values")
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("Invalid values: expected a list of rows.")
        return rows

    def _write(
        self, book: s.Book, sheet: s.Sheet, r0: int, c0: int, rows: list[list[Any]], typed: bool
    ) -> dict[str, Any]:
        width = max((len(r) for r in rows), default=0)
        grid = (r0, c0, r0 + len(rows), c0 + max(width, 1))
        s.inside(sheet, grid, s.a1(sheet, grid))
        for i, row in enumerate(rows):
            for j, raw in enumerate(row):
                if raw is None:  # null leaves a cell as it is
                    continue
                cell = s.entered(raw, typed)
                if cell is None:
                    sheet.cells.pop((r0 + i, c0 + j), None)
                else:
                    sheet.cells[(r0 + i, c0 + j)] = cell
        self.touched(book)
        out: dict[str, Any] = {"spreadsheetId": book.id, "updatedRange": s.a1(sheet, grid)}
        if rows and width:
            out.update(updatedRows=len(rows), updatedColumns=width, updatedCells=sum(len(r) for r in rows))
        return out

    def update(self, call: Call) -> dict[str, Any]:
        book = self._book(call, "write")
        typed, body = self._input(call), call.json()
        text = call.params["range"]
        sheet, grid = s.parse_range(book, text)
        rows = self._rows(body)
        one_cell = (grid[2] - grid[0], grid[3] - grid[1]) == (1, 1)  # a single cell: where the values start
        if not one_cell and (len(rows) > grid[2] - grid[0] or any(len(r) > grid[3] - grid[1] for r in rows)):
            raise bad_request(
                f"Requested writing within range [{text}], but tried writing to "
                + (f"row [{grid[0] + len(rows)}]" if len(rows) > grid[2] - grid[0] else "a column beyond it")
            )
        return self._write(book, sheet, grid[0], grid[1], rows, typed)

    def append(self, call: Call) -> dict[str, Any]:
        book = self._book(call, "write")
        typed, body = self._input(call), call.json()
        sheet, grid = s.parse_range(book, call.params["range"])
        rows = self._rows(body)
        r0, c0 = grid[0], grid[1]
        # the table: from the range's first cell down to the last row with something right of its first column
        used = [(r, c) for r, c in sheet.cells if r >= r0 and c >= c0]
        last = max((r for r, _ in used), default=r0 - 1)
        start = last + 1
        grow = start + len(rows) - sheet.rows
        if grow > 0:  # appending adds the rows it needs
            sheet.rows += grow
        right = max([c + 1 for _, c in used] + [c0 + 1])
        table = (r0, c0, max(last + 1, r0 + 1), right)
        updates = self._write(book, sheet, start, c0, rows, typed)
        return {"spreadsheetId": book.id, "tableRange": s.a1(sheet, table), "updates": updates}

    def clear(self, call: Call) -> dict[str, Any]:
        book = self._book(call, "write")
        sheet, grid = s.parse_range(book, call.params["range"])
        r0, c0, r1, c1 = grid
        for at in [at for at in sheet.cells if r0 <= at[0] < r1 and c0 <= at[1] < c1]:
            del sheet.cells[at]
        self.touched(book)
        return {
            "spreadsheetId": book.id,
            "clearedRange": s.a1(sheet, (r0, c0, min(r1, sheet.rows), min(c1, sheet.columns))),
        }
