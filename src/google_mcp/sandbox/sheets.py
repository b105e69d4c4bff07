"""The sandbox's spreadsheets: cells as entered, A1 ranges, a small formula evaluator, and values rendered
as Sheets renders them (formatted, unformatted, formulas)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .errors import ApiError, bad_request

Value = float | str | bool
Grid = tuple[int, int, int, int]  # start row, start column, end row, end column: 0-based, ends exclusive


@dataclass
class Cell:
    value: Value  # what the cell shows once computed, or what was entered
    formula: str | None = None
    fmt: str | None = None  # "currency" or "percent"; None: general


@dataclass
class Sheet:
    sheet_id: int
    title: str
    rows: int = 1000
    columns: int = 26
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    frozen_rows: int = 0

    def used(self) -> tuple[int, int]:
        """Rows and columns up to the last cell with something in it."""
        if not self.cells:
            return 0, 0
        return max(r for r, _ in self.cells) + 1, max(c for _, c in self.cells) + 1


@dataclass
class Book:
    id: str
    title: str
    owner: str  # the account's address
    created: datetime
    modified: datetime
    sheets: list[Sheet] = field(default_factory=list)
    named: dict[str, tuple[str, int, Grid]] = field(default_factory=dict)  # name -> (id, sheetId, grid)
    locale: str = "en_US"
    time_zone: str = "America/New_York"

    def sheet(self, title: str | None = None, sheet_id: int | None = None) -> Sheet | None:
        for s in self.sheets:
            if (title is not None and s.title == title) or (sheet_id is not None and s.sheet_id == sheet_id):
                return s
        return None


# A1 ------------------------------------------------------------------------------------------
def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def col_name(index: int) -> str:
    out, n = "", index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def quoted(title: str) -> str:
    return title if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) else "'" + title.replace("'", "''") + "'"


def a1(sheet: Sheet, grid: Grid) -> str:
    r0, c0, r1, c1 = grid
    first = f"{quoted(sheet.title)}!{col_name(c0)}{r0 + 1}"
    return first if (r1 - r0, c1 - c0) == (1, 1) else f"{first}:{col_name(c1 - 1)}{r1}"


_CELLS = re.compile(r"^([A-Za-z]{1,3})?(\d+)?(?::([A-Za-z]{1,3})?(\d+)?)?$")


def _cells(text: str, sheet: Sheet) -> Grid | None:
    m = _CELLS.match(text)
    if not m or not text:
        return None
    ca, ra, cb, rb = m.groups()
    if ":" not in text:
        if not (ca and ra):
            return None
        cb, rb = ca, ra
    shape = (bool(ca), bool(ra), bool(cb), bool(rb))
    if shape not in (
        (True, True, True, True),
        (True, False, True, False),
        (False, True, False, True),
        (True, True, True, False),
    ):
        return None
    if ra == "0" or rb == "0" or (ra and int(ra) == 0):
        return None
    r0 = int(ra) - 1 if ra else 0
    c0 = col_index(ca) if ca else 0
    r1 = int(rb) if rb else sheet.rows
    c1 = col_index(cb) + 1 if cb else sheet.columns
    r0, r1 = min(r0, r1 - 1), max(r1, r0 + 1)
    c0, c1 = min(c0, c1 - 1), max(c1, c0 + 1)
    return r0, c0, r1, c1


def unparsable(text: str) -> ApiError:
    return bad_request(f"Unable to parse range: {text}")


def parse_range(book: Book, text: str) -> tuple[Sheet, Grid]:
    """A range as Sheets reads one: Sheet!A1:B2, 'My sheet'!A:A, a sheet's name alone, a named range, or
    cells of the first sheet."""
    text = text.strip()
    if text in book.named:
        _, sheet_id, grid = book.named[text]
        found = book.sheet(sheet_id=sheet_id)
        if found is None:
            raise unparsable(text)
        return found, grid
    title: str | None = None
    cells: str | None = text
    m = re.match(r"^'((?:[^']|'')*)'(?:!(.*))?$", text) or re.match(r"^([^!']+)!(.*)$", text)
    if m:
        title, cells = m.group(1).replace("''", "'"), m.group(2)
    elif book.sheet(text) is not None:
        title, cells = text, None
    sheet = book.sheet(title) if title is not None else (book.sheets[0] if book.sheets else None)
    if sheet is None:
        raise unparsable(text)
    if cells is None or cells == "":
        return sheet, (0, 0, sheet.rows, sheet.columns)
    found_grid = _cells(cells, sheet)
    if found_grid is None:
        raise unparsable(text)
    return sheet, found_grid


def inside(sheet: Sheet, grid: Grid, text: str) -> None:
    if grid[2] > sheet.rows or grid[3] > sheet.columns:
        raise bad_request(f"Range ({text}) exceeds grid limits. Max rows: {sheet.rows}, max columns: {sheet.columns}")


# entering and computing -------------------------------------------------------------------------
def entered(raw: Any, user_entered: bool) -> Cell | None:
    """A cell from what was written (USER_ENTERED parses as if typed in the UI; RAW keeps it as is)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return Cell(raw)
    if isinstance(raw, int | float):
        return Cell(float(raw))
    text = str(raw)
    if not user_entered:
        return Cell(text)
    if text.startswith("=") and len(text) > 1:
        return Cell(0.0, formula=text)
    if text.upper() in ("TRUE", "FALSE"):
        return Cell(text.upper() == "TRUE")
    m = re.fullmatch(r"\s*(-?)(\$?)([\d,]*\.?\d+)(%?)\s*", text)
    if m and (m.group(3).replace(",", "").replace(".", "", 1).isdigit()):
        number = float(m.group(3).replace(",", "")) * (-1 if m.group(1) else 1)
        if m.group(4):
            return Cell(number / 100, fmt="percent")
        return Cell(number, fmt="currency" if m.group(2) else None)
    return Cell(text)


_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*)|([A-Z]+)\(|(\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)|(.))")


class _Formula:
    """=SUM(B2:B13), =AVERAGE(..), =MIN/MAX/COUNT, cell references, + - * / and parentheses."""

    def __init__(self, book: Book, sheet: Sheet, text: str, depth: int) -> None:
        self.book, self.sheet, self.depth = book, sheet, depth
        self.tokens = [m.groups() for m in _TOKEN.finditer(text.upper()) if any(m.groups())]
        self.pos = 0

    def _peek(self) -> tuple[str | None, ...]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None, None, None)

    def _refs(self, ref: str) -> list[Value]:
        grid = _cells(ref.replace("$", ""), self.sheet)
        if grid is None:
            raise ValueError(ref)
        r0, c0, r1, c1 = grid
        return [computed(self.book, self.sheet, (r, c), self.depth + 1) for r in range(r0, r1) for c in range(c0, c1)]

    def expr(self) -> float:
        value = self.term()
        while self._peek()[3] in ("+", "-"):
            op = self.tokens[self.pos][3]
            self.pos += 1
            value = value + self.term() if op == "+" else value - self.term()
        return value

    def term(self) -> float:
        value = self.factor()
        while self._peek()[3] in ("*", "/"):
            op = self.tokens[self.pos][3]
            self.pos += 1
            value = value * self.factor() if op == "*" else value / self.factor()
        return value

    def factor(self) -> float:
        number, func, ref, other = self._peek()
        self.pos += 1
        if number:
            return float(number)
        if other == "-":
            return -self.factor()
        if other == "(":
            value = self.expr()
            self.pos += 1
            return value
        if ref:
            values = self._refs(ref)
            return _number(values[0]) if len(values) == 1 else sum(_number(v) for v in values)
        if func:
            args: list[Value] = []
            while self._peek()[3] != ")" and self.pos < len(self.tokens):
                if self._peek()[3] == ",":
                    self.pos += 1
                    continue
                inner = self._peek()[2]
                if inner:
                    self.pos += 1
                    args += self._refs(inner)
                else:
                    args.append(self.expr())
            self.pos += 1
            numbers = [float(v) for v in args if isinstance(v, float)]
            funcs: dict[str, Callable[[list[float]], float]] = {
                "SUM": sum,
                "MIN": min,
                "MAX": max,
                "COUNT": len,
                "AVERAGE": lambda n: sum(n) / len(n),
            }
            if func not in funcs:
                raise ValueError(func)
            return float(funcs[func](numbers)) if numbers or func in ("SUM", "COUNT") else 0.0
        raise ValueError(other)


def _number(value: Value) -> float:
    if isinstance(value, bool) or value == "":
        return float(value == True)  # noqa: E712 (a bool, or an empty cell)
    if isinstance(value, float):
        return value
    raise ValueError(value)


def computed(book: Book, sheet: Sheet, at: tuple[int, int], depth: int = 0) -> Value:
    cell = sheet.cells.get(at)
    if cell is None:
        return ""
    if cell.formula is None:
        return cell.value
    if depth > 50:
        return "#REF!"
    try:
        parser = _Formula(book, sheet, cell.formula[1:], depth)
        value = parser.expr()
        if parser.pos < len(parser.tokens):
            return "#ERROR!"
        return value
    except ZeroDivisionError:
        return "#DIV/0!"
    except (ValueError, IndexError, TypeError):
        return "#ERROR!"


def formatted(value: Value, fmt: str | None) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return value
    if fmt == "currency":
        return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"
    if fmt == "percent":
        return f"{value * 100:.2f}%"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.10g}"


def rendered(book: Book, sheet: Sheet, at: tuple[int, int], how: str) -> Any:
    """A cell's value as values.get gives it for valueRenderOption `how`."""
    cell = sheet.cells.get(at)
    if cell is None:
        return ""
    if how == "FORMULA" and cell.formula is not None:
        return cell.formula
    value = computed(book, sheet, at)
    if how == "FORMATTED_VALUE":
        return formatted(value, cell.fmt)
    if isinstance(value, float) and value == int(value) and abs(value) < 1e15:
        return int(value)
    return value


def values(book: Book, sheet: Sheet, grid: Grid, how: str) -> list[list[Any]]:
    """The rows of a range, trailing empty cells and rows left out, as Sheets does."""
    r0, c0, r1, c1 = grid
    rows: list[list[Any]] = []
    for r in range(r0, min(r1, sheet.rows)):
        row = [rendered(book, sheet, (r, c), how) for c in range(c0, min(c1, sheet.columns))]
        while row and row[-1] == "":
            row.pop()
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def text_of(book: Book) -> str:
    """The spreadsheet as plain text (what a full-text search sees): each sheet's rows, tab-separated."""
    out = []
    for sheet in book.sheets:
        out.append(sheet.title)
        out += [
            "\t".join(map(str, row))
            for row in values(book, sheet, (0, 0, sheet.rows, sheet.columns), "FORMATTED_VALUE")
        ]
    return "\n".join(out)


def csv_of(book: Book, sheet: Sheet) -> str:
    """A sheet as Drive's CSV export gives it: displayed values, rows to the last one with data."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in values(book, sheet, (0, 0, sheet.rows, sheet.columns), "FORMATTED_VALUE"):
        writer.writerow(row)
    return out.getvalue()
