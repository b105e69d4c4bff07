"""The whole tool surface, declared in one place. Each tool is a thin call into a typed adapter.

Tools whose annotations say they change state return a `Plan` (preview + the call to make);
registration (registry.py) puts them behind the confirmation gate.
"""

from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations
from pydantic import Field

from google_mcp.gate import Gate, Plan, current_principal
from google_mcp.google.calendar import Target
from google_mcp.models import (
    AskResult,
    CalendarList,
    Event,
    EventList,
    FreeBusy,
    LabelList,
    MessageDetail,
    PendingInfo,
    PendingList,
    Preview,
    SavedAttachment,
    SearchResult,
    ThreadDetail,
    WriteOutcome,
)
from google_mcp.registry import Registrar, app
from google_mcp.router import Router
from google_mcp.settings import Settings
from google_mcp.state import AppState

READ = ToolAnnotations(read_only_hint=True, open_world_hint=True)


def _addresses(label: str, values: list[str]) -> list[str]:
    return [f"{label}: {', '.join(values)}"] if values else []


def register_tools(server: MCPServer, settings: Settings, gate: Gate) -> Registrar:  # type: ignore[type-arg]
    tool = Registrar(server, settings, gate)

    # Gmail, read ----------------------------------------------------------------------
    @tool(title="Search Gmail", annotations=READ)
    async def gmail_search(
        state: AppState,
        query: Annotated[str, Field(description="Gmail search syntax, e.g. 'from:dana is:unread newer_than:7d'")] = "",
        max_results: Annotated[int, Field(ge=1, le=50)] = 20,
        page_token: Annotated[str | None, Field(description="next_page_token of the previous page")] = None,
        include_spam_trash: bool = False,
    ) -> SearchResult:
        """Search the mailbox with Gmail's query language; returns compact summaries, newest first."""
        return await state.gmail.search(query, max_results, page_token, include_spam_trash)

    @tool(title="Read an email", annotations=READ)
    async def gmail_get_message(
        state: AppState,
        message_id: str,
        max_chars: Annotated[int, Field(ge=200, le=100_000)] = 8000,
        offset: Annotated[int, Field(ge=0, description="continue a cut body from next_offset")] = 0,
        include_quoted: Annotated[bool, Field(description="show quoted earlier messages")] = False,
    ) -> MessageDetail:
        """Read one email as clean text, with its headers and attachment list. Quoted history is folded."""
        return await state.gmail.get_message(message_id, max_chars, offset, include_quoted)

    @tool(title="Read a conversation", annotations=READ)
    async def gmail_get_thread(
        state: AppState,
        thread_id: str,
        max_chars_per_message: Annotated[int, Field(ge=200, le=50_000)] = 3000,
        include_quoted: bool = False,
    ) -> ThreadDetail:
        """Read every message of a conversation, oldest first, each as clean text."""
        return await state.gmail.get_thread(thread_id, max_chars_per_message, include_quoted)

    @tool(title="List Gmail labels", annotations=READ)
    async def gmail_list_labels(state: AppState) -> LabelList:
        """List the mailbox's system and user labels with their ids."""
        return await state.gmail.list_labels()

    @tool(title="Download an attachment", annotations=READ)
    async def gmail_get_attachment(
        state: AppState,
        message_id: str,
        attachment_id: Annotated[str, Field(description="attachment_id, part_id or filename from gmail_get_message")],
    ) -> SavedAttachment:
        """Save an attachment to the download folder and return its path; small text files come inline."""
        return await state.gmail.get_attachment(message_id, attachment_id)

    # Gmail, write ------------------------------------------------------------------------
    async def mail_plan(state: AppState, draft: bool, **fields: Any) -> Plan:
        gmail = state.gmail
        out = await gmail.compose(**fields, need_recipient=not draft)
        body = (out.text if out.text is not None else out.html) or ""
        details = [
            *_addresses("To", out.to),
            *_addresses("Cc", out.cc),
            *_addresses("Bcc", out.bcc),
            f"Subject: {out.subject or '(no subject)'}",
        ]
        if out.in_reply_to:
            details.append(f"In reply to: {out.in_reply_to} (thread {out.thread_id})")
        details += [f"Attachment: {a.filename} ({a.size} bytes)" for a in out.attachments]
        details.append("Body: " + (body[:300] + ("…" if len(body) > 300 else "")))
        preview = Preview(
            action="Create a draft" if draft else "Send an email",
            summary=f"{out.subject or '(no subject)'} → {', '.join(out.to + out.cc + out.bcc) or '-'}",
            details=details,
        )
        return Plan(preview, (lambda: gmail.create_draft(out)) if draft else (lambda: gmail.send(out)))

    Addresses = Annotated[list[str] | None, Field(description="addresses, e.g. ['Dana <dana@example.com>']")]

    @tool(
        title="Send an email",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
        ),
    )
    async def gmail_send(
        state: AppState,
        to: Addresses = None,
        subject: str | None = None,
        body_text: str | None = None,
        body_html: str | None = None,
        cc: Addresses = None,
        bcc: Addresses = None,
        attachments: Annotated[list[str] | None, Field(description="local file paths")] = None,
        reply_to_message_id: Annotated[str | None, Field(description="reply in this message's thread")] = None,
        reply_all: bool = False,
    ) -> Plan:
        """Send an email, or a reply when reply_to_message_id is given (subject and recipients then default
        to the original's). Needs the person's confirmation."""
        return await mail_plan(
            state,
            False,
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

    @tool(
        title="Create a draft",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
        ),
    )
    async def gmail_create_draft(
        state: AppState,
        to: Addresses = None,
        subject: str | None = None,
        body_text: str | None = None,
        body_html: str | None = None,
        cc: Addresses = None,
        bcc: Addresses = None,
        attachments: Annotated[list[str] | None, Field(description="local file paths")] = None,
        reply_to_message_id: str | None = None,
        reply_all: bool = False,
    ) -> Plan:
        """Save an email as a draft (same fields as gmail_send) for the person to review in Gmail."""
        return await mail_plan(
            state,
            True,
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

    async def describe(state: AppState, message_ids: list[str], thread_ids: list[str]) -> list[str]:
        gmail = state.gmail
        lines = [
            f"{m.subject or '(no subject)'} — {m.sender} — {m.date}"
            for m in (await gmail.describe_messages(message_ids) if message_ids else [])
        ]
        for tid in thread_ids:
            t = await gmail.get_thread(tid, 200, False)
            lines.append(f"Conversation: {t.subject or '(no subject)'} ({t.message_count} messages)")
        return lines

    Ids = Annotated[list[str] | None, Field(description="ids from gmail_search")]

    @tool(
        title="Change labels",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
        ),
    )
    async def gmail_modify_labels(
        state: AppState,
        message_ids: Ids = None,
        thread_ids: Ids = None,
        add: Annotated[list[str] | None, Field(description="label names or ids, e.g. STARRED")] = None,
        remove: Annotated[list[str] | None, Field(description="UNREAD marks read; INBOX archives")] = None,
    ) -> Plan:
        """Add or remove labels on messages or conversations: mark read/unread, archive, star, file."""
        gmail = state.gmail
        message_ids, thread_ids, add, remove = message_ids or [], thread_ids or [], add or [], remove or []
        add_ids, remove_ids = await gmail.prepare_labels(message_ids, thread_ids, add, remove)
        lines = await describe(state, message_ids, thread_ids)  # also proves every message exists
        preview = Preview(
            action="Change labels",
            summary=f"add {add_ids or '-'}, remove {remove_ids or '-'} on {len(lines)} item(s)",
            details=lines,
        )
        return Plan(preview, lambda: gmail.apply_labels(message_ids, thread_ids, add_ids, remove_ids))

    @tool(
        title="Move to trash",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
        ),
    )
    async def gmail_trash(
        state: AppState,
        message_ids: Ids = None,
        thread_ids: Ids = None,
    ) -> Plan:
        """Move messages or whole conversations to the trash (Gmail empties it after 30 days)."""
        gmail = state.gmail
        message_ids, thread_ids = message_ids or [], thread_ids or []
        if not message_ids and not thread_ids:
            from google_mcp.errors import InvalidInput

            raise InvalidInput("Give message_ids or thread_ids to move to the trash.")
        lines = await describe(state, message_ids, thread_ids)
        preview = Preview(action="Move to trash", summary=f"{len(lines)} item(s)", details=lines)
        return Plan(preview, lambda: gmail.trash(message_ids, thread_ids))

    # Calendar, read --------------------------------------------------------------------
    @tool(title="List calendars", annotations=READ)
    async def calendar_list_calendars(state: AppState) -> CalendarList:
        """List the calendars the person can see, with ids, time zones and access."""
        return await state.calendar.list_calendars()

    When = Annotated[str | None, Field(description="ISO 8601, with offset or read in time_zone")]

    @tool(title="List events", annotations=READ)
    async def calendar_list_events(
        state: AppState,
        calendar_ids: Annotated[list[str], Field(description="'primary' is the person's own")] = ["primary"],  # noqa: B006
        time_min: Annotated[str | None, Field(description="ISO 8601; default now")] = None,
        time_max: When = None,
        query: Annotated[str | None, Field(description="free text in title, description, place, guests")] = None,
        time_zone: Annotated[str | None, Field(description="IANA zone; default the calendar's")] = None,
        max_results: Annotated[int, Field(ge=1, le=250)] = 25,
        page_token: str | None = None,
    ) -> EventList:
        """List events in a time window across one or more calendars, recurring events expanded."""
        return await state.calendar.list_events(
            calendar_ids, time_min, time_max, query, max_results, page_token, time_zone
        )

    @tool(title="Read an event", annotations=READ)
    async def calendar_get_event(state: AppState, event_id: str, calendar_id: str = "primary") -> Event:
        """Read one event with its times, guests and their responses."""
        return await state.calendar.get_event(event_id, calendar_id)

    @tool(title="Free/busy and free slots", annotations=READ)
    async def calendar_free_busy(
        state: AppState,
        time_min: str,
        time_max: str,
        ids: Annotated[list[str], Field(description="calendar ids and/or attendee emails")] = ["primary"],  # noqa: B006
        slot_minutes: Annotated[int | None, Field(description="also list free slots this long")] = None,
        working_hours: Annotated[tuple[str, str], Field(description="[start, end] as HH:MM")] = ("09:00", "17:00"),
        include_weekends: bool = False,
        time_zone: str | None = None,
    ) -> FreeBusy:
        """Busy blocks of calendars and people, and the slots when all of them are free in working hours."""
        return await state.calendar.free_busy(
            ids, time_min, time_max, time_zone, slot_minutes, working_hours[0], working_hours[1], include_weekends
        )

    # Calendar, write --------------------------------------------------------------------
    def event_preview(action: str, body: dict[str, Any], tz: str, send: bool, extra: list[str]) -> Preview:
        def when(node: dict[str, Any] | None) -> str:
            if not node:
                return "unchanged"
            return node.get("date") or f"{node['dateTime']} ({node.get('timeZone', tz)})"

        details = [f"Start: {when(body.get('start'))}", f"End: {when(body.get('end'))}"]
        if body.get("attendees"):
            details.append("Guests: " + ", ".join(a["email"] for a in body["attendees"]))
        if body.get("recurrence"):
            details.append("Repeats: " + "; ".join(body["recurrence"]))
        if body.get("location"):
            details.append(f"Where: {body['location']}")
        if "conferenceData" in body:
            details.append("Adds a Google Meet link")
        details.append("Invitations will be emailed to guests" if send else "No emails will be sent to guests")
        return Preview(action=action, summary=body.get("summary") or "(title unchanged)", details=details + extra)

    Scope = Annotated[
        Literal["this", "this_and_following", "all"],
        Field(description="for a recurring event: this occurrence, this and later ones, or all"),
    ]

    @tool(
        title="Create an event",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
        ),
    )
    async def calendar_create_event(
        state: AppState,
        summary: str,
        start: Annotated[str, Field(description="ISO 8601 time, or YYYY-MM-DD for all-day")],
        end: Annotated[str | None, Field(description="default: 1 hour later, or the next day")] = None,
        time_zone: Annotated[str | None, Field(description="IANA zone; default the calendar's")] = None,
        attendees: Annotated[list[str] | None, Field(description="guest emails")] = None,
        description: str | None = None,
        location: str | None = None,
        recurrence: Annotated[list[str] | None, Field(description="e.g. ['RRULE:FREQ=WEEKLY;COUNT=10']")] = None,
        reminders_minutes: Annotated[list[int] | None, Field(description="popup reminders")] = None,
        add_meet_link: bool = False,
        send_invitations: bool = True,
        calendar_id: str = "primary",
    ) -> Plan:
        """Create an event; guests get email invitations unless send_invitations is false."""
        cal = state.calendar
        body = await cal.build_event(
            summary=summary,
            start=start,
            end=end,
            time_zone=time_zone,
            attendees=attendees,
            description=description,
            location=location,
            recurrence=recurrence,
            reminders_minutes=reminders_minutes,
            add_meet_link=add_meet_link,
            calendar_id=calendar_id,
            partial=False,
        )
        tz = await cal.time_zone(calendar_id)
        preview = event_preview(
            "Create an event", body, tz, send_invitations and bool(attendees), [f"Calendar: {calendar_id}"]
        )
        return Plan(preview, lambda: cal.create(calendar_id, body, send_invitations))

    async def scope_lines(
        state: AppState, event_id: str, calendar_id: str, scope: str
    ) -> tuple[Any, list[str], Target]:
        cal = state.calendar
        target = await cal.target(event_id, calendar_id, scope)  # type: ignore[arg-type]
        ev, master = target
        shown = cal.render(ev, calendar_id, await cal.time_zone(calendar_id))
        when = shown.start.date or shown.start.date_time
        lines = [f"Event: {shown.summary} at {when} ({shown.start.time_zone})"]
        if master is not None:
            lines.append(
                {
                    "this": "Only this occurrence",
                    "all": "Every occurrence of the series",
                    "this_and_following": "This and all later occurrences",
                }[scope]
            )
        return shown, lines, target

    @tool(
        title="Update an event",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
        ),
    )
    async def calendar_update_event(
        state: AppState,
        event_id: str,
        calendar_id: str = "primary",
        scope: Scope = "this",
        summary: str | None = None,
        start: Annotated[str | None, Field(description="new start; give end too to keep a length")] = None,
        end: str | None = None,
        time_zone: str | None = None,
        attendees: Annotated[list[str] | None, Field(description="the full new guest list")] = None,
        description: str | None = None,
        location: str | None = None,
        recurrence: list[str] | None = None,
        reminders_minutes: list[int] | None = None,
        add_meet_link: bool = False,
        send_updates: bool = True,
    ) -> Plan:
        """Change fields of an event; only the fields given change."""
        cal = state.calendar
        body = await cal.build_event(
            summary=summary,
            start=start,
            end=end,
            time_zone=time_zone,
            attendees=attendees,
            description=description,
            location=location,
            recurrence=recurrence,
            reminders_minutes=reminders_minutes,
            add_meet_link=add_meet_link,
            calendar_id=calendar_id,
            partial=True,
        )
        if not body:
            from google_mcp.errors import InvalidInput

            raise InvalidInput("Nothing to change: give at least one field to update.")
        _, lines, target = await scope_lines(state, event_id, calendar_id, scope)
        preview = event_preview("Update an event", body, await cal.time_zone(calendar_id), send_updates, lines)
        return Plan(preview, lambda: cal.update(event_id, calendar_id, scope, body, send_updates, target))  # type: ignore[arg-type]

    @tool(
        title="Delete an event",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
        ),
    )
    async def calendar_delete_event(
        state: AppState,
        event_id: str,
        calendar_id: str = "primary",
        scope: Scope = "this",
        send_updates: bool = True,
    ) -> Plan:
        """Delete an event, or for a recurring event this occurrence, this and later ones, or all."""
        cal = state.calendar
        shown, lines, target = await scope_lines(state, event_id, calendar_id, scope)
        lines.append("Guests will be told" if send_updates and shown.attendees else "No emails will be sent")
        preview = Preview(action="Delete an event", summary=shown.summary, details=lines)
        return Plan(preview, lambda: cal.delete(event_id, calendar_id, scope, send_updates, target))  # type: ignore[arg-type]

    @tool(
        title="RSVP to an event",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
        ),
    )
    async def calendar_respond_to_event(
        state: AppState,
        event_id: str,
        response: Literal["accepted", "declined", "tentative"],
        calendar_id: str = "primary",
        comment: str | None = None,
    ) -> Plan:
        """Accept, decline or tentatively accept an invitation."""
        cal = state.calendar
        shown = await cal.get_event(event_id, calendar_id)
        if shown.my_response is None:
            from google_mcp.errors import InvalidInput

            raise InvalidInput("You are not on this event's guest list, so there is nothing to respond to.")
        preview = Preview(
            action="Respond to an invitation",
            summary=f"{response}: {shown.summary}",
            details=[
                f"When: {shown.start.date or shown.start.date_time} ({shown.start.time_zone})",
                f"Organiser: {shown.organizer}",
            ]
            + ([f"Comment: {comment}"] if comment else []),
        )
        return Plan(preview, lambda: cal.respond(event_id, calendar_id, response, comment))

    # the gate's own tools: not behind the gate, they are how a person's answer reaches it --------
    if settings.read_only:
        return tool

    @server.tool(
        title="Confirm a pending action",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
        ),
    )
    async def confirm_action(
        ctx: Context,  # type: ignore[type-arg]
        confirmation_id: Annotated[str, Field(description="from a confirmation_required result")],
    ) -> WriteOutcome:
        """Carry out a pending action, only after the person has seen its preview and said yes. Runs exactly
        the stored arguments, once."""
        state = app(ctx)
        return await state.gate.confirm(state, confirmation_id, current_principal(), via="model")

    @server.tool(
        title="Cancel a pending action",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
        ),
    )
    async def cancel_action(ctx: Context, confirmation_id: str) -> WriteOutcome:  # type: ignore[type-arg]
        """Drop a pending action the person does not want; nothing is done."""
        return await app(ctx).gate.cancel(confirmation_id, current_principal())

    @server.tool(title="List pending actions", annotations=ToolAnnotations(read_only_hint=True, open_world_hint=False))
    async def list_pending_actions(ctx: Context) -> PendingList:  # type: ignore[type-arg]
        """List the actions waiting for the person's confirmation, with their previews."""
        records = await app(ctx).gate.pending(current_principal())
        return PendingList(
            actions=[
                PendingInfo(
                    confirmation_id=r.session_id,
                    tool=r.tool,
                    preview=Preview(**r.preview),
                    created_at=r.created_at,
                    expires_at=r.expires_at,
                )
                for r in records
            ]
        )

    return tool


def register_router(server: MCPServer, router: Router) -> None:  # type: ignore[type-arg]
    @server.tool(
        title="Ask in plain language",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
        ),
    )
    async def ask(
        ctx: Context,  # type: ignore[type-arg]
        request: Annotated[str, Field(description="e.g. 'email Dana that I am late and move our 3 pm to 4'")],
        conversation_id: Annotated[str | None, Field(description="continue an earlier exchange")] = None,
    ) -> AskResult:
        """Carry out a Gmail or Calendar request given in plain language. Reads run; every change comes back as a
        pending action for the person to approve."""
        return await router.ask(app(ctx), current_principal(), request, conversation_id, ctx)
