"""Small but valid files of the kinds people keep in Drive, made from text: a PDF, Office files, a PNG.

The seed and the exports use them, so that a reader meets real formats (a PDF's content stream, a
.docx's XML in a zip) rather than text with a file name.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from xml.sax.saxutils import escape


def pdf(lines: list[str]) -> bytes:
    """A one-page PDF 1.4 whose text (Helvetica, WinAnsi) is `lines`, with a correct cross-reference table."""

    def literal(text: str) -> str:
        raw = text.encode("cp1252", errors="replace").decode("latin-1")
        return "(" + raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"

    shown = "".join(f"{literal(line)} Tj T* " for line in lines)
    stream = f"BT /F1 12 Tf 14 TL 72 720 Td {shown}ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % at for at in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _zip(parts: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return buf.getvalue()


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
P = "http://schemas.openxmlformats.org/presentationml/2006/main"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OD = "application/vnd.openxmlformats-officedocument"


def _types(overrides: dict[str, str]) -> str:
    parts = "".join(f'<Override PartName="/{name}" ContentType="{kind}"/>' for name, kind in overrides.items())
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{parts}</Types>'
    )


def _rels(target: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{R}/officeDocument" Target="{target}"/></Relationships>'
    )


def docx(paragraphs: list[str]) -> bytes:
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(p)}</w:t></w:r></w:p>' for p in paragraphs)
    return _zip(
        {
            "[Content_Types].xml": _types({"word/document.xml": f"{OD}.wordprocessingml.document.main+xml"}),
            "_rels/.rels": _rels("word/document.xml"),
            "word/document.xml": f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}"><w:body>'
            f"{body}</w:body></w:document>",
        }
    )


def xlsx(rows: list[list[str | float]]) -> bytes:
    strings: list[str] = []
    cells = []
    for r, row in enumerate(rows, 1):
        out = []
        for c, value in enumerate(row):
            ref = f"{chr(ord('A') + c)}{r}"
            if isinstance(value, str):
                strings.append(value)
                out.append(f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>')
            else:
                out.append(f'<c r="{ref}"><v>{value:g}</v></c>')
        cells.append(f'<row r="{r}">{"".join(out)}</row>')
    shared = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    return _zip(
        {
            "[Content_Types].xml": _types(
                {
                    "xl/workbook.xml": f"{OD}.spreadsheetml.sheet.main+xml",
                    "xl/worksheets/sheet1.xml": f"{OD}.spreadsheetml.worksheet+xml",
                    "xl/sharedStrings.xml": f"{OD}.spreadsheetml.sharedStrings+xml",
                }
            ),
            "_rels/.rels": _rels("xl/workbook.xml"),
            "xl/workbook.xml": f'<workbook xmlns="{S}" xmlns:r="{R}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
            "xl/_rels/workbook.xml.rels": _rels("worksheets/sheet1.xml").replace('officeDocument"', 'worksheet"'),
            "xl/sharedStrings.xml": f'<sst xmlns="{S}" count="{len(strings)}">{shared}</sst>',
            "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{S}"><sheetData>{"".join(cells)}</sheetData></worksheet>',
        }
    )


def pptx(slides: list[list[str]]) -> bytes:
    parts = {"_rels/.rels": _rels("ppt/presentation.xml")}
    kinds = {"ppt/presentation.xml": f"{OD}.presentationml.presentation.main+xml"}
    for n, texts in enumerate(slides, 1):
        paras = "".join(f"<a:p><a:r><a:t>{escape(t)}</a:t></a:r></a:p>" for t in texts)
        parts[f"ppt/slides/slide{n}.xml"] = (
            f'<p:sld xmlns:p="{P}" xmlns:a="{A}"><p:cSld><p:spTree><p:sp><p:txBody>{paras}'
            "</p:txBody></p:sp></p:spTree></p:cSld></p:sld>"
        )
        kinds[f"ppt/slides/slide{n}.xml"] = f"{OD}.presentationml.slide+xml"
    parts["ppt/presentation.xml"] = f'<p:presentation xmlns:p="{P}"/>'
    return _zip({"[Content_Types].xml": _types(kinds), **parts})


def png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
