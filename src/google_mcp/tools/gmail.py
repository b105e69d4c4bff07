"""The Gmail tools: thin declarations over the Gmail adapter (google/gmail.py)."""

from __future__ import annotations

import base64
import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from pydantic import Field

from google_mcp.errors import InvalidInput
from google_mcp.gate import Plan
from google_mcp.google import outgoing
from google_mcp.google.compose import Outgoing
from google_mcp.google.gmail_labels import names_of
from google_mcp.google.gmail_models import (
    DraftCreated,
    LabelList,
    LabelsModified,
    MessageDetail,
    SavedAttachment,
    SearchResult,
    SentMessage,
    ThreadDetail,
    Trashed,
)
from google_mcp.models import Preview
from google_mcp.registry import DESTRUCTIVE, IDEMPOTENT, READ, WRITE, Registrar
from google_mcp.state import AppState
from google_mcp.tools.when import SEND_AT, held_until
from google_mcp.unseen import shown_plainly


# reads ----------------------------------------------------------------------------
async def gmail_search(
    state: AppState,
    query: Annotated[str, Field(description="e.g. 'from:dana is:unread newer_than:7d'")] = "",
    max_results: Annotated[int, Field(ge=1, le=500)] = 20,
    page_token: str | None = None,
    include_spam_trash: bool = False,
) -> SearchResult:
    """Search mail with Gmail's query syntax, newest first."""
    return await state.gmail.search(query, max_results, page_token, include_spam_trash)


async def gmail_get_message(
    state: AppState,
    message_id: str,
    max_chars: Annotated[int, Field(ge=200, le=100_000)] = 8000,
    offset: Annotated[int, Field(ge=0, description="next_offset of a cut body")] = 0,
    include_quoted: bool = False,
    include_returned_headers: Annotated[bool, Field(description="a bounce's returned headers, whole")] = False,
) -> MessageDetail:
    """Read one email as clean text; quoted history folded."""
    return await state.gmail.get_message(message_id, max_chars, offset, include_quoted, include_returned_headers)


async def gmail_get_thread(
    state: AppState,
    thread_id: str,
    max_chars_per_message: Annotated[int, Field(ge=200, le=50_000)] = 3000,
    include_quoted: bool = False,
) -> ThreadDetail:
    """Read a conversation as clean text, oldest first."""
    return await state.gmail.get_thread(thread_id, max_chars_per_message, include_quoted)


async def gmail_list_labels(state: AppState) -> LabelList:
    """List labels with their ids."""
    return await state.gmail.list_labels()


async def gmail_get_attachment(
    state: AppState,
    message_id: str,
    attachment_id: Annotated[str, Field(description="id, part_id or filename from gmail_get_message")],
) -> SavedAttachment:
    """Save an attachment to the download folder; small text files come inline."""
    return await state.gmail.get_attachment(message_id, attachment_id)


# sending ------------------------------------------------------------------------------
def mail_preview(out: Outgoing, draft: bool) -> tuple[Preview, list[str]]:
    """Every field that reaches Google, whole, as the person should judge it (compose caps the body's size);
    and what in an HTML body the person must see before it goes (hidden text, remote addresses, ...)."""
    summary = f"{out.subject or '(no subject)'} → {', '.join(out.to + out.cc + out.bcc) or '-'}"
    details = [f"From: {out.sender}"]
    for label, values in (("To", out.to), ("Cc", out.cc), ("Bcc", out.bcc)):
        if values:
            details.append(f"{label}: {', '.join(values)}")
    details.append(f"Subject: {out.subject or '(no subject)'}")
    if out.in_reply_to:
        details.append(f"In reply to: {out.in_reply_to} (thread {out.thread_id})")
    details += [f"Attachment: {a.filename} ({a.size} bytes, SHA-256 {a.sha256[:16]}…)" for a in out.attachments]
    if out.text is not None:
        details.append(f"Body: {out.text}")
    concerns: list[str] = []
    lines: list[str] = []
    if out.html is not None:
        lines, concerns = outgoing.describe(out.html)
        details += lines
        if out.text is None:
            details.append("Plain-text version: made from the HTML's text, sent alongside it.")
    shown = [shown_plainly(d) for d in [summary, *details]]
    summary, details = shown[0][0], [text for text, _ in shown[1:]]
    if any(n for _, n in shown):
        concerns.append("invisible characters (each written out as ⟨U+…⟩ here)")
    if concerns:
        # first, so that no one reads the visible text and stops there
        details.insert(0, f"Look closely: this mail holds {', '.join(concerns)}. It always asks the person.")
    preview = Preview(action="Create a draft" if draft else "Send an email", summary=summary, details=details)
    marks = [details[0]] if concerns else []  # what the preview points out, as the card marks it
    preview.card = mail_card(out, marks + [m for m in lines[1:] if not m.startswith("HTML as written")])
    return preview, concerns


def mail_card(out: Outgoing, marks: list[str]) -> dict[str, Any]:
    """The approval card's fields: the preview's values one by one, the HTML body as written (the card renders
    it where nothing can run or load), and what the preview points out in it."""

    def plain(text: str) -> str:
        return shown_plainly(text)[0]

    return {
        "kind": "mail",
        "from": plain(out.sender or ""),
        **{k: [plain(a) for a in v] for k, v in (("to", out.to), ("cc", out.cc), ("bcc", out.bcc))},
        "subject": plain(out.subject or "(no subject)"),
        "in_reply_to": out.in_reply_to and f"{out.in_reply_to} (thread {out.thread_id})",
        "text": None if out.text is None else plain(out.text),
        "html": out.html,
        "hidden": marks,
        "attachments": [
            {"name": plain(a.filename), "mime": a.mime_type, "size": a.size, "sha256": a.sha256}
            for a in out.attachments
        ],
    }


async def mail_plan(state: AppState, draft: bool, **fields: Any) -> Plan:
    out = await state.gmail.compose(**fields, need_recipient=not draft)
    raw = base64.urlsafe_b64encode(out.mime()).decode()
    preview, concerns = mail_preview(out, draft)
    op = {"raw": raw, "thread_id": out.thread_id, "subject": out.subject}
    # auto-approving mail never covers what its preview must point out: that always asks the person
    because = f"it holds {', '.join(concerns)}" if concerns else ""
    return Plan(preview, op, auto_ok=not concerns, asks_because=because)


async def send_op(state: AppState, op: dict[str, Any]) -> SentMessage:
    if op.get("threads"):  # a reply held for later: not into a conversation that changed since the preview
        await state.gmail.unchanged(op["threads"])
    return await state.gmail.send(op["raw"], op.get("thread_id"), op.get("subject", ""))


async def draft_op(state: AppState, op: dict[str, Any]) -> DraftCreated:
    return await state.gmail.create_draft(op["raw"], op.get("thread_id"), op.get("subject", ""))


def _mail_tool(name: str, draft: bool, doc: str) -> Callable[..., Awaitable[Plan]]:
    """gmail_send and gmail_create_draft: one declaration, two tools."""

    async def tool(
        state: AppState,
        to: list[str] | None = None,
        subject: str | None = None,
        body_text: str | None = None,
        body_html: str | None = None,
        cc: list[str] | None = None,
        bcc: list[str] | None = None,
        attachments: Annotated[list[str] | None, Field(description="local file paths")] = None,
        reply_to_message_id: str | None = None,
        reply_all: bool = False,
        send_at: Annotated[str | None, Field(description=SEND_AT)] = None,
    ) -> Plan:
        plan = await mail_plan(
            state,
            draft,
            to=to,
            cc=cc,
            bcc=bcc,
            subject=subject,
            body_text=body_text,
            body_html=body_html,
            attachments=attachments,
            reply_to_message_id=reply_to_message_id,
            reply_all=reply_all,
        )
        if send_at is not None:
            await held_until(state, plan, send_at)
        tid = plan.op.get("thread_id")
        if tid and not draft and (send_at is not None or state.settings.undo_seconds > 0):
            _, ids = await state.gmail.thread_messages(tid)  # held: it goes only into the conversation shown
            plan.op["threads"] = {tid: ids}
        return plan

    tool.__name__ = tool.__qualname__ = name
    tool.__doc__ = doc
    if draft:  # a draft is saved now: it has no send_at
        sig = inspect.signature(tool)
        tool.__signature__ = sig.replace(parameters=[p for p in sig.parameters.values() if p.name != "send_at"])  # type: ignore[attr-defined]
    return tool


gmail_send = _mail_tool(
    "gmail_send",
    False,
    "Send an email, or a reply to reply_to_message_id (subject and recipients default to the original's).",
)
gmail_create_draft = _mail_tool(
    "gmail_create_draft",
    True,
    "Save an email as a draft (fields as gmail_send).",
)


# labels and trash ------------------------------------------------------------------------
async def describe(
    state: AppState, message_ids: list[str], thread_ids: list[str]
) -> tuple[list[str], dict[str, list[str]]]:
    """Preview lines for messages and conversations, and each conversation's messages as the person sees it now."""
    gmail = state.gmail
    lines = [
        f"{m.subject or '(no subject)'} — {m.sender} — {m.date}"
        for m in (await gmail.describe_messages(message_ids) if message_ids else [])
    ]
    threads: dict[str, list[str]] = {}
    for tid in thread_ids:
        subject, ids = await gmail.thread_messages(tid)
        threads[tid] = ids
        lines.append(f"Conversation: {subject or '(no subject)'} ({len(ids)} message{'s' if len(ids) != 1 else ''})")
    return lines, threads


async def gmail_modify_labels(
    state: AppState,
    message_ids: list[str] | None = None,
    thread_ids: list[str] | None = None,
    add: Annotated[list[str] | None, Field(description="label names or ids, e.g. STARRED")] = None,
    remove: Annotated[list[str] | None, Field(description="UNREAD marks read; INBOX archives")] = None,
) -> Plan:
    """Add or remove labels: read/unread, archive, star, file."""
    gmail = state.gmail
    message_ids, thread_ids, add, remove = message_ids or [], thread_ids or [], add or [], remove or []
    add_ids, remove_ids = await gmail.prepare_labels(message_ids, thread_ids, add, remove)
    if "TRASH" in add_ids:
        raise InvalidInput("Moving to the trash is gmail_trash's job; call gmail_trash with these ids instead.")
    lines, threads = await describe(state, message_ids, thread_ids)  # also proves every message exists
    names = gmail.cached_names()  # read just now, to resolve the labels given
    adding, removing = ", ".join(names_of(add_ids, names)) or "-", ", ".join(names_of(remove_ids, names)) or "-"
    preview = Preview(
        action="Change labels",
        summary=f"add {adding}; remove {removing}; on {len(lines)} item(s)",
        details=lines + (["Reports as spam and moves out of the inbox"] if "SPAM" in add_ids else []),
    )
    op = {
        "message_ids": message_ids,
        "thread_ids": thread_ids,
        "add": add_ids,
        "remove": remove_ids,
        "threads": threads,
    }
    # auto-approving label changes never covers reporting spam: that always asks the person
    spam = "SPAM" in add_ids
    return Plan(preview, op, auto_ok=not spam, asks_because="it reports spam" if spam else "")


async def labels_op(state: AppState, op: dict[str, Any]) -> LabelsModified:
    return await state.gmail.apply_labels(op["message_ids"], op["thread_ids"], op["add"], op["remove"], op["threads"])


async def gmail_trash(
    state: AppState, message_ids: list[str] | None = None, thread_ids: list[str] | None = None
) -> Plan:
    """Move to the trash (emptied after 30 days)."""
    message_ids, thread_ids = message_ids or [], thread_ids or []
    if not message_ids and not thread_ids:
        raise InvalidInput("Give message_ids or thread_ids to move to the trash.")
    lines, threads = await describe(state, message_ids, thread_ids)
    preview = Preview(action="Move to trash", summary=f"{len(lines)} item(s)", details=lines)
    return Plan(preview, {"message_ids": message_ids, "thread_ids": thread_ids, "threads": threads})


async def trash_op(state: AppState, op: dict[str, Any]) -> Trashed:
    return await state.gmail.trash(op["message_ids"], op["thread_ids"], op["threads"])


def register(tool: Registrar) -> None:
    tool(title="Search Gmail", annotations=READ, detail=True, span=SearchResult.across)(gmail_search)
    tool(title="Read an email", annotations=READ)(gmail_get_message)
    tool(title="Read a conversation", annotations=READ)(gmail_get_thread)
    tool(title="List labels", annotations=READ)(gmail_list_labels)
    tool(title="Save an attachment", annotations=READ)(gmail_get_attachment)
    tool(title="Send an email", annotations=WRITE, execute=send_op)(gmail_send)
    tool(title="Create a draft", annotations=WRITE, execute=draft_op)(gmail_create_draft)
    tool(title="Change labels", annotations=IDEMPOTENT, execute=labels_op)(gmail_modify_labels)
    tool(title="Move to trash", annotations=DESTRUCTIVE, execute=trash_op)(gmail_trash)
