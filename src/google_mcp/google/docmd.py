"""Markdown and Google Docs, both ways (Docs to Markdown is docs_markdown.py).

In: Markdown is parsed with markdown-it-py (CommonMark, GFM tables and strikethrough) into blocks, and
the blocks into one list of Docs requests: text inserted front to back from one index, tables filled
cell by cell from the last, then styles, then bullets from the last list (creating bullets removes the
leading tabs that give nesting, which moves what follows). Out: one walk over documents.get's structure.

Stated normalisations of a round trip: a title reads as `#`, a subtitle as `##`; emphasis is written `*`,
strong `**`, struck `~~`; items are `-` and `1.` with four spaces a level; a nested list takes the kind
of its outermost list (Docs gives one list one glyph set); a checked box reads unchecked (the API does
not expose the state); a block quote's text becomes plain paragraphs; a paragraph that is all code reads
as a code block; a thematic break is a page break and back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MONO = "Roboto Mono"
PRESETS = {"bullet": "BULLET_DISC_CIRCLE_SQUARE", "number": "NUMBERED_DECIMAL_ALPHA_ROMAN", "check": "BULLET_CHECKBOX"}
STYLE_FIELDS = "bold,italic,strikethrough,link,weightedFontFamily,underline,foregroundColor"


def u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# Markdown in --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mark:
    bold: bool = False
    italic: bool = False
    strike: bool = False
    code: bool = False
    url: str | None = None


@dataclass
class Block:
    kind: str  # para, heading, item, code, table, break
    spans: list[tuple[str, Mark]] = field(default_factory=list)
    level: int = 0  # heading level, or list nesting
    list_kind: str = "bullet"
    group: int = 0  # which top-level list an item belongs to
    rows: list[list[list[tuple[str, Mark]]]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.spans)


def _spans(children: list[Any]) -> list[tuple[str, Mark]]:
    out: list[tuple[str, Mark]] = []
    bold = italic = strike = 0
    url: str | None = None
    for tok in children:
        kind = tok.type
        if kind in ("text", "html_inline"):
            text = tok.content
        elif kind in ("softbreak", "hardbreak"):
            text = " "
        elif kind == "code_inline":
            out.append((tok.content, Mark(code=True, url=url)))
            continue
        elif kind == "image":
            text = tok.content or "".join(c.content for c in tok.children or [])
        else:
            bold += {"strong_open": 1, "strong_close": -1}.get(kind, 0)
            italic += {"em_open": 1, "em_close": -1}.get(kind, 0)
            strike += {"s_open": 1, "s_close": -1}.get(kind, 0)
            if kind == "link_open":
                url = str(tok.attrGet("href") or "") or None
            elif kind == "link_close":
                url = None
            continue
        if text:
            out.append((text, Mark(bold > 0, italic > 0, strike > 0, False, url)))
    return out


def parse(markdown: str) -> list[Block]:
    from markdown_it import MarkdownIt  # here, not at start-up: only Docs writes need it

    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    blocks: list[Block] = []
    lists: list[str] = []  # the kinds of the lists we are in, outermost first
    group, heading, row, rows = 0, 0, list[list[tuple[str, Mark]]](), list[list[list[tuple[str, Mark]]]]()
    in_table = False
    for tok in md.parse(markdown):
        kind = tok.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            if not lists:
                group += 1
            lists.append("number" if kind == "ordered_list_open" else "bullet")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "heading_open":
            heading = int(tok.tag[1])
        elif kind == "heading_close":
            heading = 0
        elif kind == "table_open":
            in_table, rows = True, []
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close":
            rows.append(row)
        elif kind == "table_close":
            in_table = False
            blocks.append(Block("table", rows=rows))
        elif kind == "hr":
            blocks.append(Block("break"))
        elif kind in ("fence", "code_block"):
            for line in tok.content.rstrip("\n").split("\n"):
                blocks.append(Block("code", [(line, Mark(code=True))] if line else []))
        elif kind == "html_block":
            blocks.append(Block("para", [(tok.content.strip(), Mark())]))
        elif kind == "inline":
            spans = _spans(tok.children or [])
            if in_table:
                row.append(spans)
            elif heading:
                blocks.append(Block("heading", spans, heading))
            elif lists:
                item = Block("item", spans, len(lists) - 1, lists[0], group)
                first = item.spans[0][0] if item.spans else ""
                box = re.match(r"\[([ xX])\] ", first)
                if box:
                    item.spans[0] = (first[box.end() :], item.spans[0][1])
                    item.list_kind = "check"
                blocks.append(item)
            else:
                blocks.append(Block("para", spans))
    for n, block in enumerate(blocks):  # a list is a checklist when its first item has a box
        if block.kind == "item" and (n == 0 or blocks[n - 1].group != block.group):
            kind = block.list_kind
            for other in blocks[n:]:
                if other.kind == "item" and other.group == block.group:
                    other.list_kind = kind
    return blocks


def _style(mark: Mark) -> tuple[dict[str, Any], list[str]]:
    style: dict[str, Any] = {}
    if mark.bold:
        style["bold"] = True
    if mark.italic:
        style["italic"] = True
    if mark.strike:
        style["strikethrough"] = True
    if mark.url:
        style["link"] = {"url": mark.url}
    if mark.code:
        style["weightedFontFamily"] = {"fontFamily": MONO, "weight": 400}
    return style, list(style)


def requests(blocks: list[Block], at: int, tab_id: str | None = None, tail_empty: bool = False) -> list[dict[str, Any]]:
    """Docs requests that write `blocks` from index `at`, the start of a paragraph (which follows them).

    `tail_empty`: that paragraph is the document's empty last one, and takes the blocks' reset styles too.
    """
    if not blocks:
        return []
    tab = {"tabId": tab_id} if tab_id else {}

    def loc(index: int) -> dict[str, Any]:
        return {"location": {"index": index, **tab}}

    def rng(a: int, b: int) -> dict[str, Any]:
        return {"range": {"startIndex": a, "endIndex": b, **tab}}

    inserts: list[dict[str, Any]] = []
    styled: list[tuple[int, int, Mark]] = []
    headings: list[tuple[int, int, int]] = []
    groups: dict[int, list[Any]] = {}

    def spans_at(start: int, spans: list[tuple[str, Mark]]) -> None:
        for text, mark in spans:
            if mark != Mark():
                styled.append((start, start + u16(text), mark))
            start += u16(text)

    cursor = at
    for block in blocks:
        if block.kind == "table":
            width = max((len(r) for r in block.rows), default=0)
            cells = [[(r[k] if k < len(r) else []) for k in range(width)] for r in block.rows]
            if not cells or not width:
                continue
            inserts.append({"insertTable": {"rows": len(cells), "columns": width, **loc(cursor)}})
            table = cursor + 1  # Docs puts a newline before the table
            for i in reversed(range(len(cells))):  # fill from the last cell: the earlier ones keep their index
                for k in reversed(range(width)):
                    text = "".join(t for t, _ in cells[i][k])
                    if text:
                        inserts.append({"insertText": {"text": text, **loc(table + 3 + i * (1 + 2 * width) + 2 * k)}})
            pos = table + 1
            for row in cells:
                pos += 1
                for cell in row:
                    pos += 1
                    spans_at(pos, cell)
                    pos += u16("".join(t for t, _ in cell)) + 1
            cursor = pos
            continue
        if block.kind == "break":
            inserts.append({"insertPageBreak": loc(cursor)})
            cursor += 2
            continue
        prefix = "\t" * block.level if block.kind == "item" else ""
        text = prefix + block.text.replace("\n", " ")
        inserts.append({"insertText": {"text": text + "\n", **loc(cursor)}})
        spans_at(cursor + len(prefix), block.spans)
        if block.kind == "heading":
            headings.append((cursor, cursor + u16(text) + 1, block.level))
        if block.kind == "item":
            span = groups.setdefault(block.group, [cursor, cursor, block.list_kind])
            span[1] = cursor + u16(text) + 1
        cursor += u16(text) + 1
    end = cursor + (1 if tail_empty else 0)
    if end <= at:
        return inserts
    out = [
        *inserts,
        {
            "updateParagraphStyle": {
                **rng(at, end),
                "paragraphStyle": {"namedStyleType": "NORMAL_TEXT"},
                "fields": "namedStyleType",
            }
        },
        {"updateTextStyle": {**rng(at, end), "textStyle": {}, "fields": STYLE_FIELDS}},
        {"deleteParagraphBullets": rng(at, end)},
    ]
    for a, b, level in headings:
        out.append(
            {
                "updateParagraphStyle": {
                    **rng(a, b),
                    "paragraphStyle": {"namedStyleType": f"HEADING_{min(level, 6)}"},
                    "fields": "namedStyleType",
                }
            }
        )
    for a, b, mark in styled:
        style, names = _style(mark)
        if a < b:
            out.append({"updateTextStyle": {**rng(a, b), "textStyle": style, "fields": ",".join(names)}})
    for a, b, kind in sorted(groups.values(), reverse=True):  # from the last: removing tabs moves what follows
        out.append({"createParagraphBullets": {**rng(a, b), "bulletPreset": PRESETS[kind]}})
    return out
