"""The text of files people keep in Drive: PDFs (pypdf), Office files (their XML, read from the zip with the
standard library), CSV exports as tables, and plain text in whatever charset it came in.

Office files are read here rather than with python-docx, openpyxl and python-pptx: their text is a few
XML parts, and three libraries (with lxml) to walk them would be most of the install. The zip is read
with limits (a part's declared and real size), and XML that declares a DOCTYPE is refused, so neither a
zip bomb nor an entity expansion gets through.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from xml.etree import ElementTree as ET

from google_mcp.charsets import text_of

PART_MAX = 20 * 1024 * 1024  # bytes of one XML part unpacked
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
OFFICE = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}
TEXT_TYPES = ("application/json", "application/xml", "application/javascript", "application/x-yaml", "text/")


class Unreadable(Exception):
    """The bytes are not the file their type says (or are locked): the file is saved instead."""


def is_text(mime: str) -> bool:
    return mime.startswith(TEXT_TYPES) or mime in TEXT_TYPES


def plain(data: bytes) -> str | None:
    """Text in its own charset (Drive says none: detected, Latin-1 and cp1252 included); None for binary."""
    return text_of(data, None)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unreadable("the PDF is encrypted")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise Unreadable(f"the PDF could not be read ({type(exc).__name__})") from None
    if len(pages) == 1:
        return pages[0] + "\n" if pages[0] else ""
    return "".join(f"[page {n}]\n{text}\n\n" for n, text in enumerate(pages, 1) if text)


def _xml(z: zipfile.ZipFile, name: str) -> ET.Element | None:
    try:
        info = z.getinfo(name)
    except KeyError:
        return None
    if info.file_size > PART_MAX:
        raise Unreadable(f"{name} is too large to read ({info.file_size} bytes)")
    with z.open(info) as fh:
        raw = fh.read(PART_MAX + 1)
    if len(raw) > PART_MAX:
        raise Unreadable(f"{name} unpacks to more than it says")
    if b"<!DOCTYPE" in raw[:4096].upper() or b"<!ENTITY" in raw.upper():
        raise Unreadable(f"{name} declares a DOCTYPE, which Office files never do")
    try:
        return ET.fromstring(raw)  # noqa: S314 (no DOCTYPE, so no entity to expand; sizes capped above)
    except ET.ParseError:
        raise Unreadable(f"{name} is not well-formed XML") from None


def _numbered(names: list[str], pattern: str) -> list[str]:
    found = [(int(m.group(1)), n) for n in names if (m := re.fullmatch(pattern, n))]
    return [n for _, n in sorted(found)]


def _docx(z: zipfile.ZipFile) -> str:
    root = _xml(z, "word/document.xml")
    if root is None:
        raise Unreadable("no word/document.xml")

    def para(p: ET.Element) -> str:
        out = []
        for el in p.iter():
            if el.tag == W + "t":
                out.append(el.text or "")
            elif el.tag == W + "tab":
                out.append("\t")
            elif el.tag in (W + "br", W + "cr"):
                out.append("\n")
        return "".join(out)

    lines = []
    body = root.find(W + "body")
    for block in list(body) if body is not None else []:
        if block.tag == W + "p":
            lines.append(para(block))
        elif block.tag == W + "tbl":
            for row in block.iter(W + "tr"):
                cells = [" ".join(para(p) for p in cell.iter(W + "p")) for cell in row.iter(W + "tc")]
                lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines).strip("\n") + "\n"


def _column(ref: str) -> int:
    n = 0
    for ch in re.match(r"[A-Z]*", ref or "")[0]:  # type: ignore[index]
        n = n * 26 + ord(ch) - 64
    return max(n - 1, 0)


def _xlsx(z: zipfile.ZipFile) -> str:
    shared_root = _xml(z, "xl/sharedStrings.xml")
    shared = (
        ["".join(t.text or "" for t in si.iter(S + "t")) for si in shared_root.iter(S + "si")]
        if shared_root is not None
        else []
    )
    book = _xml(z, "xl/workbook.xml")
    names = [s.get("name", "") for s in book.iter(S + "sheet")] if book is not None else []
    out = []
    for n, part in enumerate(_numbered(z.namelist(), r"xl/worksheets/sheet(\d+)\.xml")):
        sheet = _xml(z, part)
        if sheet is None:
            continue
        rows = []
        for row in sheet.iter(S + "row"):
            values: dict[int, str] = {}
            for cell in row.iter(S + "c"):
                kind, v = cell.get("t"), cell.find(S + "v")
                if kind == "s" and v is not None and (v.text or "").isdigit() and int(v.text or 0) < len(shared):
                    values[_column(cell.get("r", ""))] = shared[int(v.text or 0)]
                elif kind == "inlineStr":
                    values[_column(cell.get("r", ""))] = "".join(t.text or "" for t in cell.iter(S + "t"))
                elif v is not None:
                    values[_column(cell.get("r", ""))] = v.text or ""
            rows.append([values.get(i, "") for i in range(max(values, default=-1) + 1)])
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        out.append(f"## {names[n] if n < len(names) else f'Sheet {n + 1}'}\n{buf.getvalue()}")
    return "\n".join(out)


def _pptx(z: zipfile.ZipFile) -> str:
    out = []
    names = z.namelist()
    for n, part in enumerate(_numbered(names, r"ppt/slides/slide(\d+)\.xml"), 1):
        root = _xml(z, part)
        paras = ["".join(t.text or "" for t in p.iter(A + "t")) for p in root.iter(A + "p")] if root is not None else []
        text = "\n".join(p for p in paras if p.strip())
        notes_root = _xml(z, f"ppt/notesSlides/notesSlide{n}.xml")
        notes = (
            "\n".join("".join(t.text or "" for t in p.iter(A + "t")) for p in notes_root.iter(A + "p")).strip()
            if notes_root is not None
            else ""
        )
        out.append(f"## Slide {n}\n{text}\n" + (f"Notes: {notes}\n" if notes else ""))
    return "\n".join(out)


def office_text(data: bytes, mime: str) -> str:
    kind = OFFICE[mime]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return {"docx": _docx, "xlsx": _xlsx, "pptx": _pptx}[kind](z)
    except zipfile.BadZipFile:
        raise Unreadable(f"the .{kind} file is not a valid Office file") from None


def table(csv_text: str) -> str:
    """A CSV export as a Markdown table (the first row the header)."""
    rows = list(csv.reader(io.StringIO(csv_text)))
    if not rows:
        return ""
    width = max(len(r) for r in rows)

    def line(cells: list[str]) -> str:
        cells = [c.replace("|", "\\|").replace("\n", " ") for c in cells] + [""] * (width - len(cells))
        return "| " + " | ".join(cells) + " |"

    return "\n".join([line(rows[0]), "|" + " --- |" * width, *(line(r) for r in rows[1:])]) + "\n"
