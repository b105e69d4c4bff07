"""Google Docs documents as the sandbox keeps them: paragraphs of styled runs and tables, in tabs.

Indexes are UTF-16 code units, as Google counts them: the body starts with a section break (0-1); every
paragraph ends with a newline; a table takes one index for itself, one for each row and one for each
cell before the cell's paragraphs; a page break is one index inside its paragraph (here the character
U+000C). The operations follow the Docs API's documented rules (batchUpdate applies all or nothing).
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .errors import bad_request

PAGE_BREAK = "\x0c"


def u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, units: int) -> int:
    """The str offset at `units` UTF-16 units into text (400 in the middle of a surrogate pair)."""
    n = 0
    for i, ch in enumerate(text):
        if n == units:
            return i
        n += 2 if ord(ch) > 0xFFFF else 1
        if n > units:
            raise bad_request("The index falls inside a surrogate pair.")
    return len(text)


@dataclass
class Run:
    text: str
    style: dict[str, Any] = field(default_factory=dict)


@dataclass
class Paragraph:
    runs: list[Run]
    style: dict[str, Any] = field(default_factory=lambda: {"namedStyleType": "NORMAL_TEXT"})
    bullet: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)

    def split_at(self, units: int) -> int:
        """Split runs so that a run boundary falls at `units`; the index of the run that starts there."""
        n = 0
        for i, run in enumerate(self.runs):
            length = u16(run.text)
            if units == n:
                return i
            if units < n + length:
                at = _cut(run.text, units - n)
                self.runs[i : i + 1] = [Run(run.text[:at], dict(run.style)), Run(run.text[at:], dict(run.style))]
                return i + 1
            n += length
        return len(self.runs)

    def tidy(self) -> None:
        runs: list[Run] = []
        for run in self.runs:
            if not run.text:
                continue
            if runs and runs[-1].style == run.style:
                runs[-1].text += run.text
            else:
                runs.append(run)
        self.runs = runs or [Run("\n")]


@dataclass
class Cell:
    content: list[Paragraph | Table]


@dataclass
class Table:
    rows: list[list[Cell]]


Element = Paragraph | Table


def empty_paragraph() -> Paragraph:
    return Paragraph([Run("\n")])


def length(el: Element) -> int:
    if isinstance(el, Paragraph):
        return u16(el.text)
    return 1 + sum(1 + sum(1 + sum(length(e) for e in cell.content) for cell in row) for row in el.rows)


@dataclass
class Tab:
    id: str
    title: str
    content: list[Element] = field(default_factory=lambda: [empty_paragraph()])
    lists: dict[str, Any] = field(default_factory=dict)
    children: list[Tab] = field(default_factory=list)
    parent: str | None = None


@dataclass
class Document:
    id: str
    title: str
    tabs: list[Tab]
    owner: tuple[str, str]
    created: datetime
    modified: datetime
    revision: str = field(default_factory=lambda: "ALm37B" + secrets.token_urlsafe(24))
    trashed: bool = False
    mime_type: str = "application/vnd.google-apps.document"
    # what Drive keeps of every file (sandbox/drive_api.py): its folder, sharing and version
    parents: list[str] = field(default_factory=lambda: ["root"])
    permissions: list[dict[str, Any]] = field(default_factory=list)
    version: int = 1

    def all_tabs(self) -> list[Tab]:
        out: list[Tab] = []
        for tab in self.tabs:
            out += [tab, *tab.children]
        return out

    def tab(self, tab_id: str | None) -> Tab:
        if not tab_id:
            return self.tabs[0]
        for tab in self.all_tabs():
            if tab.id == tab_id:
                return tab
        raise bad_request(f"Invalid tab ID: {tab_id}")

    def text(self) -> str:
        return "".join(p.text for tab in self.all_tabs() for p in paragraphs(tab.content))

    def changed(self, now: datetime) -> None:
        self.revision = "ALm37B" + secrets.token_urlsafe(24)
        self.modified = now
        self.version += 1


def paragraphs(content: list[Element]) -> list[Paragraph]:
    out: list[Paragraph] = []
    for el in content:
        if isinstance(el, Paragraph):
            out.append(el)
        else:
            for row in el.rows:
                for cell in row:
                    out += paragraphs(cell.content)
    return out


@dataclass
class Placed:
    """A paragraph with where it is: its start index, and the list that holds it."""

    paragraph: Paragraph
    start: int
    holder: list[Element]
    in_table: bool


def placed(content: list[Element], start: int = 1, in_table: bool = False) -> list[Placed]:
    out: list[Placed] = []
    at = start
    for el in content:
        if isinstance(el, Paragraph):
            out.append(Placed(el, at, content, in_table))
            at += length(el)
            continue
        at += 1
        for row in el.rows:
            at += 1
            for cell in row:
                at += 1
                out += placed(cell.content, at, True)
                at += sum(length(e) for e in cell.content)
    return out


def tables(content: list[Element], start: int = 1) -> list[tuple[Table, int, list[Element]]]:
    out: list[tuple[Table, int, list[Element]]] = []
    at = start
    for el in content:
        if isinstance(el, Table):
            out.append((el, at, content))
        at += length(el)
    return out


# operations ----------------------------------------------------------------------------------
def find(tab: Tab, index: int) -> Placed:
    for p in placed(tab.content):
        if p.start <= index < p.start + length(p.paragraph):
            return p
    raise bad_request(f"Index {index} must be less than the end index of the referenced segment.")


def insert_text(tab: Tab, index: int, text: str) -> None:
    if index < 1:
        raise bad_request("The insertion index must be at least 1 (after the section break).")
    if not text:
        return
    spot = find(tab, index)
    para = spot.paragraph
    i = para.split_at(index - spot.start)
    near = para.runs[i - 1] if i > 0 else para.runs[i]
    para.runs.insert(i, Run(text, dict(near.style)))
    _split_paragraph(para, spot.holder)


def _split_paragraph(para: Paragraph, holder: list[Element]) -> None:
    """A paragraph whose text now holds newlines before its end becomes several, each with its style."""
    pieces: list[list[Run]] = [[]]
    for run in para.runs:
        parts = run.text.split("\n")
        for n, part in enumerate(parts):
            if part or n < len(parts) - 1:
                pieces[-1].append(Run(part + ("\n" if n < len(parts) - 1 else ""), dict(run.style)))
            if n < len(parts) - 1:
                pieces.append([])
    pieces = [p for p in pieces if p]
    made = [Paragraph(runs, dict(para.style), copy.deepcopy(para.bullet)) for runs in pieces]
    for p in made:
        p.tidy()
    at = holder.index(para)
    holder[at : at + 1] = made


def delete_range(tab: Tab, start: int, end: int) -> None:
    if start >= end:
        raise bad_request("The range must not be empty: endIndex must be greater than startIndex.")
    _delete_in(tab.content, 1, start, end)


def _delete_in(content: list[Element], base: int, start: int, end: int) -> None:
    total = sum(length(e) for e in content)
    if end > base + total - 1:
        raise bad_request(
            "Invalid deletion range. Cannot delete the requested range: the final newline of a segment "
            "(or of a table cell) cannot be deleted."
        )
    at, kept = base, list[Element]()
    carry: Paragraph | None = None  # a paragraph whose newline went: it joins the next one
    for el in content:
        size = length(el)
        lo, hi = max(start, at), min(end, at + size)
        if isinstance(el, Table):
            if lo < hi and start <= at and end >= at + size:
                at += size
                continue  # the whole table goes
            if lo < hi:
                found = _cell_around(el, at, start, end)
                if found is None:
                    raise bad_request("Invalid deletion range: a table can only be deleted whole.")
                _delete_in(found[0].content, found[1], start, end)
            if carry is not None:
                raise bad_request("Invalid deletion range: the newline before a table cannot be deleted.")
            kept.append(el)
            at += size
            continue
        if lo < hi:
            i = el.split_at(lo - at)
            j = el.split_at(hi - at)
            del el.runs[i:j]
        if carry is not None:  # joined: the style of what is left of the first, else of this one
            keep = carry if carry.text else el
            el = Paragraph(carry.runs + el.runs, keep.style, keep.bullet)
            carry = None
        if el.text.endswith("\n"):
            el.tidy()
            kept.append(el)
        else:
            carry = el
        at += size
    if carry is not None:  # cannot happen: the final newline is protected above
        raise bad_request("Invalid deletion range.")
    content[:] = kept


def _cell_around(table: Table, at: int, start: int, end: int) -> tuple[Cell, int] | None:
    pos = at + 1
    for row in table.rows:
        pos += 1
        for cell in row:
            pos += 1
            size = sum(length(e) for e in cell.content)
            if pos <= start and end <= pos + size:
                return cell, pos
            pos += size
    return None


def overlapping(tab: Tab, start: int, end: int) -> list[Placed]:
    if start >= end:
        raise bad_request("The range must not be empty: endIndex must be greater than startIndex.")
    return [p for p in placed(tab.content) if p.start < end and start < p.start + length(p.paragraph)]


def _apply(target: dict[str, Any], given: dict[str, Any], fields: str) -> None:
    names = [f.strip() for f in fields.split(",") if f.strip()]
    if not names:
        raise bad_request("fields is required: name the style fields to change, or * for all.")
    if "*" in names:
        target.clear()
        target.update(copy.deepcopy(given))
        return
    for name in names:
        key = name.split(".")[0]
        if key in given:
            target[key] = copy.deepcopy(given[key])
        else:
            target.pop(key, None)


def update_paragraph_style(tab: Tab, start: int, end: int, style: dict[str, Any], fields: str) -> None:
    for p in overlapping(tab, start, end):
        _apply(p.paragraph.style, style, fields)
        if "namedStyleType" in p.paragraph.style and p.paragraph.style["namedStyleType"].startswith("HEADING"):
            p.paragraph.style.setdefault("headingId", "h." + secrets.token_hex(6))
        else:
            p.paragraph.style.pop("headingId", None)


def update_text_style(tab: Tab, start: int, end: int, style: dict[str, Any], fields: str) -> None:
    for p in overlapping(tab, start, end):
        para = p.paragraph
        i = para.split_at(max(start, p.start) - p.start)
        j = para.split_at(min(end, p.start + length(para)) - p.start)
        for run in para.runs[i:j]:
            _apply(run.style, style, fields)
        para.tidy()


GLYPHS = {
    "BULLET_DISC_CIRCLE_SQUARE": [{"glyphSymbol": s} for s in "●○■●○■●○■"],
    "NUMBERED_DECIMAL_ALPHA_ROMAN": [
        {"glyphType": t, "glyphFormat": f"%{n}."} for n, t in enumerate(["DECIMAL", "ALPHA", "ROMAN"] * 3)
    ],
    "BULLET_CHECKBOX": [{"glyphType": "GLYPH_TYPE_UNSPECIFIED"} for _ in range(9)],
}


def create_bullets(tab: Tab, start: int, end: int, preset: str) -> None:
    if preset not in GLYPHS:
        raise bad_request(f"Unsupported bulletPreset {preset!r} in this sandbox: use one of {sorted(GLYPHS)}.")
    list_id = "kix." + secrets.token_hex(6)
    tab.lists[list_id] = {
        "listProperties": {
            "nestingLevels": [
                {**g, "indentStart": {"magnitude": 36 * (n + 1), "unit": "PT"}} for n, g in enumerate(GLYPHS[preset])
            ]
        }
    }
    for p in overlapping(tab, start, end):
        para = p.paragraph
        text = para.text
        tabs = len(text) - len(text.lstrip("\t"))
        if tabs:
            para.split_at(tabs)
            while para.runs and para.runs[0].text and set(para.runs[0].text) == {"\t"}:
                para.runs.pop(0)
            para.tidy()
        para.bullet = {"listId": list_id, "nestingLevel": min(tabs, 8)}


def delete_bullets(tab: Tab, start: int, end: int) -> None:
    for p in overlapping(tab, start, end):
        p.paragraph.bullet = None


def insert_table(tab: Tab, index: int, rows: int, columns: int) -> None:
    if not (1 <= rows <= 1000 and 1 <= columns <= 20):
        raise bad_request("A table needs 1 to 1000 rows and 1 to 20 columns.")
    spot = find(tab, index)
    if spot.in_table:
        raise bad_request("Tables cannot be inserted inside a table in this sandbox.")
    insert_text(tab, index, "\n")  # Google puts a newline before the table
    first = find(tab, index).paragraph
    holder = spot.holder
    table = Table([[Cell([empty_paragraph()]) for _ in range(columns)] for _ in range(rows)])
    holder.insert(holder.index(first) + 1, table)


def end_of(tab: Tab) -> int:
    return 1 + sum(length(e) for e in tab.content) - 1
