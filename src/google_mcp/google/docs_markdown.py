"""Google Docs to Markdown: one walk over documents.get's structure (see docmd.py for the round trip's
stated normalisations)."""

from __future__ import annotations

import re
from typing import Any

MONO_FONTS = {"courier new", "consolas", "roboto mono", "source code pro", "courier", "inconsolata", "fira code",
              "jetbrains mono", "ubuntu mono", "menlo", "monaco", "cousine", "space mono", "ibm plex mono"}  # fmt: skip
ORDERED = {"DECIMAL", "ZERO_DECIMAL", "UPPER_ALPHA", "ALPHA", "UPPER_ROMAN", "ROMAN"}


def _mono(style: dict[str, Any]) -> bool:
    family = (style.get("weightedFontFamily") or {}).get("fontFamily", "")
    return str(family).lower() in MONO_FONTS


_ESCAPE = re.compile(r"([\\`*\[\]~<>|])")


def _escape(text: str) -> str:
    text = _ESCAPE.sub(r"\\\1", text)
    return re.sub(r"(?<![\w\\])_|_(?!\w)", r"\\_", text)


def _wrap(text: str, marker: str) -> str:
    core = text.strip(" ")
    if not core:
        return text
    lead, trail = text[: len(text) - len(text.lstrip(" "))], text[len(text.rstrip(" ")) :]
    return f"{lead}{marker}{core}{marker}{trail}"


def inline(elements: list[dict[str, Any]]) -> str:
    runs: list[tuple[str, tuple[bool, bool, bool, bool, str | None]]] = []
    for el in elements:
        if "textRun" in el:
            text = el["textRun"].get("content", "").replace("\n", "").replace("\v", " ")
            style = el["textRun"].get("textStyle") or {}
        elif "richLink" in el:
            props = el["richLink"].get("richLinkProperties") or {}
            text, style = props.get("title", ""), {"link": {"url": props.get("uri", "")}}
        elif "person" in el:
            props = el["person"].get("personProperties") or {}
            text, style = props.get("name") or props.get("email", ""), {}
        else:
            continue
        if not text:
            continue
        url = (style.get("link") or {}).get("url")
        key = (bool(style.get("bold")), bool(style.get("italic")), bool(style.get("strikethrough")), _mono(style), url)
        if runs and runs[-1][1] == key:
            runs[-1] = (runs[-1][0] + text, key)
        else:
            runs.append((text, key))
    out = []
    for text, (bold, italic, strike, mono, url) in runs:
        if mono:
            ticks = "``" if "`" in text else "`"
            piece = _wrap(text, ticks) if text.strip() else text
        else:
            piece = _escape(text)
            if strike:
                piece = _wrap(piece, "~~")
            if italic:
                piece = _wrap(piece, "*")
            if bold:
                piece = _wrap(piece, "**")
        if url:
            piece = f"[{piece}]({url})"
        out.append(piece)
    return "".join(out)


def _line_start(text: str) -> str:
    """Text that would read as a heading, list item or quote at the start of a line, escaped."""
    if re.match(r"(#{1,6}|[-+>]|\d+[.)])(\s|$)", text):
        match = re.match(r"\d+", text)
        return text[: match.end()] + "\\" + text[match.end() :] if match else "\\" + text
    return text


def _glyph_kind(lists: dict[str, Any], bullet: dict[str, Any]) -> str:
    levels = ((lists.get(bullet.get("listId", "")) or {}).get("listProperties") or {}).get("nestingLevels") or []
    level = bullet.get("nestingLevel", 0)
    glyph = levels[level] if level < len(levels) else {}
    if glyph.get("glyphType") in ORDERED:
        return "number"
    if glyph.get("glyphSymbol") or glyph.get("glyphType") == "NONE":
        return "bullet"
    return "check"


def _cell(cell: dict[str, Any]) -> str:
    parts = [inline(el["paragraph"].get("elements", [])) for el in cell.get("content", []) if "paragraph" in el]
    return "<br>".join(p for p in parts if p.strip()).replace("\n", " ")


def to_markdown(content: list[dict[str, Any]], lists: dict[str, Any]) -> str:
    out: list[str] = []
    counters: dict[tuple[str, int], int] = {}
    last_list: str | None = None
    dash, last_dash = "-", ""  # a bullet list right after another takes the other bullet, or they would merge
    code: list[str] = []

    def flush_code() -> None:
        if code:
            out.append("```\n" + "\n".join(code) + "\n```")
            code.clear()

    for el in content:
        if "table" in el:
            flush_code()
            rows = [[_cell(c) for c in r.get("tableCells", [])] for r in el["table"].get("tableRows", [])]
            if rows:
                width = max(len(r) for r in rows)
                rows = [r + [""] * (width - len(r)) for r in rows]
                lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
                lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
                out.append("\n".join(lines))
            last_list = None
            continue
        para = el.get("paragraph")
        if para is None:
            continue
        elements = para.get("elements", [])
        runs = [e["textRun"] for e in elements if "textRun" in e]
        raw = "".join(r.get("content", "") for r in runs).rstrip("\n")
        if any("pageBreak" in e for e in elements) and not raw.strip():
            flush_code()
            out.append("---")
            last_list = None
            continue
        style = (para.get("paragraphStyle") or {}).get("namedStyleType", "NORMAL_TEXT")
        bullet = para.get("bullet")
        if (
            raw.strip()
            and not bullet
            and style == "NORMAL_TEXT"
            and all(_mono(r.get("textStyle") or {}) for r in runs if r.get("content", "").strip("\n"))
        ):
            code.append(raw)
            continue
        flush_code()
        text = inline(elements).strip()
        if not text:
            continue
        if bullet:
            list_id, level = bullet.get("listId", ""), bullet.get("nestingLevel", 0)
            kind = _glyph_kind(lists, bullet)
            for key in [k for k in counters if k[0] == list_id and k[1] > level]:
                del counters[key]
            counters[(list_id, level)] = counters.get((list_id, level), 0) + 1
            if last_list != list_id:
                dash = "*" if last_list and last_dash == "-" else "-"
            last_dash = dash if kind != "number" else ""
            marker = {"number": f"{counters[(list_id, level)]}.", "bullet": dash, "check": f"{dash} [ ]"}[kind]
            line = "    " * level + f"{marker} {text}"
            if last_list == list_id:
                out[-1] += "\n" + line
            else:
                out.append(line)
            last_list = list_id
            continue
        last_list = None
        if style.startswith("HEADING_"):
            out.append("#" * int(style[-1]) + " " + text)
        elif style == "TITLE":
            out.append("# " + text)
        elif style == "SUBTITLE":
            out.append("## " + text)
        else:
            out.append(_line_start(text))
    flush_code()
    return "\n\n".join(out) + ("\n" if out else "")
