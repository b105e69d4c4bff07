"""Docs v1 over HTTP: documents.get (tabs included or not), documents.create, documents.batchUpdate."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import google_mcp.sandbox.docs as d

from .errors import ApiError, bad_request, not_found
from .routing import Call, Method, Router

if TYPE_CHECKING:
    from .host import Host

A = "https://www.googleapis.com/auth/"
READ = (A + "documents", A + "documents.readonly", A + "drive", A + "drive.readonly", A + "drive.file")
WRITE = (A + "documents", A + "drive", A + "drive.file")
V = "/v1/documents"
SECTION = {
    "sectionStyle": {"columnSeparatorStyle": "NONE", "contentDirection": "LEFT_TO_RIGHT", "sectionType": "CONTINUOUS"}
}
DOC_STYLE = {
    "pageSize": {"height": {"magnitude": 792, "unit": "PT"}, "width": {"magnitude": 612, "unit": "PT"}},
    "marginTop": {"magnitude": 72, "unit": "PT"},
    "marginBottom": {"magnitude": 72, "unit": "PT"},
}


def _paragraph(p: d.Paragraph, at: int) -> dict[str, Any]:
    elements, pos = [], at
    for run in p.runs:
        pieces = run.text.split(d.PAGE_BREAK)
        for n, piece in enumerate(pieces):
            if piece:
                size = d.u16(piece)
                elements.append(
                    {"startIndex": pos, "endIndex": pos + size, "textRun": {"content": piece, "textStyle": run.style}}
                )
                pos += size
            if n < len(pieces) - 1:
                elements.append({"startIndex": pos, "endIndex": pos + 1, "pageBreak": {"textStyle": run.style}})
                pos += 1
    body: dict[str, Any] = {"elements": elements, "paragraphStyle": {**p.style, "direction": "LEFT_TO_RIGHT"}}
    if p.bullet:
        bullet = {"listId": p.bullet["listId"], "textStyle": {}}
        if p.bullet.get("nestingLevel"):
            bullet["nestingLevel"] = p.bullet["nestingLevel"]
        body["bullet"] = bullet
    return {"startIndex": at, "endIndex": pos, "paragraph": body}


def render(content: list[d.Element], start: int = 1) -> list[dict[str, Any]]:
    out, at = [], start
    for el in content:
        if isinstance(el, d.Paragraph):
            out.append(_paragraph(el, at))
            at += d.length(el)
            continue
        table_start, rows, pos = at, [], at + 1
        for row in el.rows:
            row_start, cells = pos, []
            pos += 1
            for cell in row:
                cell_start = pos
                pos += 1
                inner = render(cell.content, pos)
                pos += sum(d.length(e) for e in cell.content)
                cells.append({"startIndex": cell_start, "endIndex": pos, "content": inner, "tableCellStyle": {}})
            rows.append({"startIndex": row_start, "endIndex": pos, "tableCells": cells, "tableRowStyle": {}})
        columns = len(el.rows[0]) if el.rows else 0
        table = {"rows": len(el.rows), "columns": columns, "tableRows": rows, "tableStyle": {}}
        out.append({"startIndex": table_start, "endIndex": pos, "table": table})
        at = pos
    return out


def tab_body(tab: d.Tab) -> dict[str, Any]:
    return {
        "body": {"content": [{"endIndex": 1, "sectionBreak": SECTION}, *render(tab.content)]},
        "lists": tab.lists,
        "documentStyle": DOC_STYLE,
    }


def _tab(tab: d.Tab, index: int, level: int) -> dict[str, Any]:
    props: dict[str, Any] = {"tabId": tab.id, "title": tab.title}
    if index:
        props["index"] = index
    if tab.parent:
        props["parentTabId"], props["nestingLevel"] = tab.parent, level
    out: dict[str, Any] = {"tabProperties": props, "documentTab": tab_body(tab)}
    if tab.children:
        out["childTabs"] = [_tab(c, n, level + 1) for n, c in enumerate(tab.children)]
    return out


def document_json(doc: d.Document, tabs: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"documentId": doc.id, "title": doc.title, "revisionId": doc.revision}
    if tabs:
        out["tabs"] = [_tab(t, n, 0) for n, t in enumerate(doc.tabs)]
    else:
        out.update(tab_body(doc.tabs[0]))
    out["suggestionsViewMode"] = "SUGGESTIONS_INLINE"
    return out


def _int(node: dict[str, Any], key: str, what: str) -> int:
    value = node.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad_request(f"Invalid requests.{what}: {key} must be an integer.")
    return value


class DocsApi:
    def __init__(self, sandbox: Host) -> None:
        self.sb = sandbox

    def register(self, r: Router) -> None:
        for method, path, handler, method_id, scopes in [
            ("GET", V + "/{doc}", self.get, "docs.documents.get", READ),
            ("POST", V, self.create, "docs.documents.create", WRITE),
            ("POST", V + "/{doc}:batchUpdate", self.batch_update, "docs.documents.batchUpdate", WRITE),
        ]:
            r.add(method, path, Method(handler, method_id), scopes)

    def _doc(self, call: Call) -> d.Document:
        doc = self.sb.docs.documents.get(call.params["doc"])
        if doc is None or doc.trashed:
            raise not_found(f"Requested entity was not found. (document {call.params['doc']})")
        return doc

    def get(self, call: Call) -> dict[str, Any]:
        return document_json(self._doc(call), call.bool_arg("includeTabsContent"))

    def create(self, call: Call) -> dict[str, Any]:
        body = call.json()
        title = body.get("title") or "Untitled document"
        doc = self.sb.docs.create(str(title), self.sb.now())
        return document_json(doc, False)

    def batch_update(self, call: Call) -> dict[str, Any]:
        doc = self._doc(call)
        body = call.json()
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            raise bad_request("requests must be a non-empty list.")
        control = body.get("writeControl") or {}
        required = control.get("requiredRevisionId")
        if required and required != doc.revision:
            raise ApiError(
                400,
                "The required revision ID does not match the latest revision of the document; read it again.",
                "failedPrecondition",
            )
        tabs = copy.deepcopy(doc.tabs)  # all or nothing: work on a copy
        work = d.Document(doc.id, doc.title, tabs, doc.owner, doc.created, doc.modified)
        replies = [self._apply(work, req, n) for n, req in enumerate(requests)]
        doc.tabs = tabs
        doc.changed(self.sb.now())
        self.sb.docs.changed(doc)
        return {"documentId": doc.id, "replies": replies, "writeControl": {"requiredRevisionId": doc.revision}}

    def _apply(self, doc: d.Document, request: Any, n: int) -> dict[str, Any]:
        if not isinstance(request, dict) or len(request) != 1:
            raise bad_request(f"Invalid requests[{n}]: each request names exactly one kind.")
        kind, spec = next(iter(request.items()))
        if not isinstance(spec, dict):
            raise bad_request(f"Invalid requests[{n}].{kind}.")
        where = f"[{n}].{kind}"

        def place() -> tuple[d.Tab, int]:
            if "location" in spec:
                loc = spec["location"]
                if loc.get("segmentId"):
                    raise bad_request("Headers, footers and footnotes are not supported by this sandbox.")
                tab = doc.tab(loc.get("tabId"))
                return tab, _int(loc, "index", where + ".location")
            if "endOfSegmentLocation" in spec:
                tab = doc.tab(spec["endOfSegmentLocation"].get("tabId"))
                return tab, d.end_of(tab)
            raise bad_request(f"Invalid requests{where}: give location or endOfSegmentLocation.")

        def span() -> tuple[d.Tab, int, int]:
            rng = spec.get("range")
            if not isinstance(rng, dict):
                raise bad_request(f"Invalid requests{where}: range is required.")
            if rng.get("segmentId"):
                raise bad_request("Headers, footers and footnotes are not supported by this sandbox.")
            tab = doc.tab(rng.get("tabId"))
            return tab, _int(rng, "startIndex", where + ".range"), _int(rng, "endIndex", where + ".range")

        if kind == "insertText":
            text = spec.get("text")
            if not isinstance(text, str):
                raise bad_request(f"Invalid requests{where}: text is required.")
            tab, index = place()
            d.insert_text(tab, index, text.replace(d.PAGE_BREAK, ""))
        elif kind == "deleteContentRange":
            d.delete_range(*span())
        elif kind == "replaceAllText":
            return {"replaceAllText": {"occurrencesChanged": self._replace_all(doc, spec)}}
        elif kind == "updateParagraphStyle":
            tab, start, end = span()
            d.update_paragraph_style(tab, start, end, spec.get("paragraphStyle") or {}, str(spec.get("fields", "")))
        elif kind == "updateTextStyle":
            tab, start, end = span()
            d.update_text_style(tab, start, end, spec.get("textStyle") or {}, str(spec.get("fields", "")))
        elif kind == "createParagraphBullets":
            tab, start, end = span()
            d.create_bullets(tab, start, end, str(spec.get("bulletPreset", "")))
        elif kind == "deleteParagraphBullets":
            d.delete_bullets(*span())
        elif kind == "insertTable":
            tab, index = place()
            d.insert_table(tab, index, _int(spec, "rows", where), _int(spec, "columns", where))
        elif kind == "insertPageBreak":
            tab, index = place()
            if d.find(tab, index).in_table:
                raise bad_request("A page break cannot be inserted inside a table.")
            d.insert_text(tab, index, d.PAGE_BREAK + "\n")
        else:
            raise bad_request(f"Unsupported request kind {kind!r} in this sandbox.")
        return {}

    @staticmethod
    def _replace_all(doc: d.Document, spec: dict[str, Any]) -> int:
        contains = spec.get("containsText") or {}
        find, repl = contains.get("text"), spec.get("replaceText", "")
        if not isinstance(find, str) or not find:
            raise bad_request("replaceAllText.containsText.text must be a non-empty string.")
        if not isinstance(repl, str) or "\n" in repl:
            raise bad_request("replaceAllText.replaceText must be a string without newlines.")
        match_case = bool(contains.get("matchCase"))
        wanted = (spec.get("tabsCriteria") or {}).get("tabIds")
        count = 0
        for tab in doc.all_tabs():
            if wanted and tab.id not in wanted:
                continue
            for para in d.paragraphs(tab.content):
                text = para.text
                spots = _matches(text, find, match_case)
                for at, end in reversed(spots):
                    i = para.split_at(d.u16(text[:at]))
                    j = para.split_at(d.u16(text[:end]))
                    style = dict(para.runs[i].style)
                    para.runs[i:j] = [d.Run(repl, style)]
                para.tidy()
                count += len(spots)
        return count


def _matches(text: str, find: str, match_case: bool) -> list[tuple[int, int]]:
    """(start, end) of each match, left to right. Without match_case, matched on case-folded text whose
    offsets are mapped back to whole characters: a fold may change a length ('ß' -> 'ss', 'İ' -> 'i̇')."""
    if match_case:
        hay, needle, whole = text, find, {i: i for i in range(len(text) + 1)}
    else:
        parts, whole, width = [], {}, 0
        for i, ch in enumerate(text):
            whole[width] = i
            parts.append(ch.casefold())
            width += len(parts[-1])
        whole[width] = len(text)
        hay, needle = "".join(parts), find.casefold()
    found, at = [], hay.find(needle)
    while at != -1:
        end = at + len(needle)
        if at in whole and end in whole:
            found.append((whole[at], whole[end]))
            at = hay.find(needle, end)
        else:
            at = hay.find(needle, at + 1)
    return found
