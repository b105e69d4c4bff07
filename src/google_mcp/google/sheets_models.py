"""Google Sheets' results, A1 addresses, and the compact table a model reads (one line per row)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from google_mcp.errors import InvalidInput
from google_mcp.models import Result

Render = Literal["displayed", "typed", "formulas"]
RENDER_OPTION = {"displayed": "FORMATTED_VALUE", "typed": "UNFORMATTED_VALUE", "formulas": "FORMULA"}


# results -------------------------------------------------------------------------------------
class SheetInfo(Result):
    title: str
    sheet_id: int = 0
    rows: int
    columns: int


class SheetList(Result):
    spreadsheet_id: str
    title: str
    link: str
    sheets: list[SheetInfo]
    named_ranges: list[str] = Field(default_factory=list, description="name = A1 range")


class SheetValues(Result):
    spreadsheet_id: str
    range: str = Field(description="the whole range read, as Sheets names it")
    render: Render = "displayed"
    rows: int | None = Field(default=None, description="rows up to the range's last with data (first page)")
    shown: str = Field(description="the rows in this answer, as A1")
    table: str = Field(description="'#' line of column letters, then 'row|cell|cell…' per row")
    next_offset: int | None = None
    note: str | None = None


class SheetWritten(Result):
    spreadsheet_id: str
    range: str | None = None
    cells: int = 0
    link: str
    sheet_id: int | None = None


# A1 ------------------------------------------------------------------------------------------
def col_name(index: int) -> str:
    out, n = "", index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


@dataclass(frozen=True)
class Block:
    """A rectangle of a sheet: 0-based first row and column, and its size."""

    sheet: str  # as Sheets writes it in a range (quoted when it must be)
    row: int
    col: int
    height: int
    width: int

    def cell(self, i: int, j: int) -> str:
        return f"{col_name(self.col + j)}{self.row + i + 1}"

    def a1(self) -> str:
        first = self.cell(0, 0)
        last = self.cell(self.height - 1, self.width - 1)
        return f"{self.sheet}!{first}" + (f":{last}" if last != first else "")

    def rows(self, start: int, count: int) -> Block:
        return Block(self.sheet, self.row + start, self.col, max(min(count, self.height - start), 1), self.width)


_RANGE = re.compile(r"^(.*)!([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?$")


def block(normalized: str) -> Block:
    """The block of a range as Sheets answers it ('Budget'!A1:E12, Budget!B3)."""
    m = _RANGE.match(normalized)
    if not m:
        raise InvalidInput(f"Sheets answered an unexpected range {normalized!r}.")
    sheet, ca, ra, cb, rb = m.groups()
    cb, rb = cb or ca, rb or ra
    c0, r0 = col_index(ca), int(ra) - 1
    return Block(sheet, r0, c0, int(rb) - r0, col_index(cb) - c0 + 1)


def explicit(text: str) -> Block | None:
    """The block of a range written out in full (Sheet!A1:J500, 'My sheet'!B2:C9), without asking Sheets."""
    m = _RANGE.match(text.strip())
    if not m or not m.group(4):
        return None
    sheet = m.group(1)
    if not (re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", sheet) or re.fullmatch(r"'(?:[^']|'')+'", sheet)):
        return None
    found = block(text.strip())
    return found if found.height > 0 and found.width > 0 else None


# the table a model reads --------------------------------------------------------------------------
def cell_text(value: Any, render: Render) -> str:
    if render != "displayed" and isinstance(value, str) and not (render == "formulas" and value.startswith("=")):
        text = json.dumps(value, ensure_ascii=False)  # typed: a string is quoted, a number is not
    elif isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", "\\n")


def table(where: Block, rows: list[tuple[int, list[Any]]], render: Render) -> str:
    """'#|A|B|C' then 'row|cell|cell' for each (row number, cells); trailing empty cells are left out."""
    width = max([len(cells) for _, cells in rows] + [1])  # the columns with data, not the range's empty ones
    head = "#|" + "|".join(col_name(where.col + j) for j in range(min(width, where.width)))
    lines = [head]
    for number, cells in rows:
        lines.append(f"{number}|" + "|".join(cell_text(v, render) for v in cells))
    return "\n".join(lines)


def shown(value: Any) -> str:
    """One cell's value in a preview."""
    if value is None or value == "":
        return "(empty)"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) and not value.startswith("=") else str(value)


def padded(rows: list[list[Any]], height: int, width: int) -> list[list[Any]]:
    return [[(rows[i][j] if i < len(rows) and j < len(rows[i]) else "") for j in range(width)] for i in range(height)]
