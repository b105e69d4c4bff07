"""Deterministic, realistic seed data: a mailbox of a few hundred messages and two calendars.

Dates are anchored to the day the sandbox starts (midnight UTC), so "yesterday" and "next week"
stay meaningful; everything else comes from a fixed random seed.
"""

from __future__ import annotations

import quopri
import random
import struct
import zlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from email import encoders
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.utils import format_datetime, formataddr
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .calendar import Calendar

if TYPE_CHECKING:
    from .host import Host

ME = ("Alex Morgan", "alex.morgan@example.com")
PEOPLE = {
    "dana": ("Dana Whitfield", "dana.whitfield@example.com"),
    "priya": ("Priya Raman", "priya.raman@acme-corp.example"),
    "jose": ("José Müller", "jose.mueller@example.de"),
    "yamada": ("山田 太郎", "taro.yamada@example.jp"),
    "soren": ("Søren Kjær", "soren.kjaer@example.dk"),
    "oleg": ("Олег Петров", "oleg.petrov@example.ru"),
    "marcus": ("Marcus Chen", "marcus.chen@example.com"),
    "fatima": ("Fatima Al-Sayed", "fatima.alsayed@example.org"),
    "lena": ("Lena Fischer", "lena.fischer@example.com"),
    "sam": ("Sam Okafor", "sam.okafor@example.com"),
}
SENDERS = {
    "brew": ("The Morning Brief", "hello@morningbrief.example"),
    "shop": ("Northwind Outfitters", "deals@northwind.example"),
    "git": ("CodeHub", "notifications@codehub.example"),
    "air": ("SkyJet Airlines", "noreply@skyjet.example"),
    "bank": ("Harbor Bank", "alerts@harborbank.example"),
    "cloud": ("Nimbus Cloud Billing", "billing@nimbus.example"),
    "spam": ("Prize Center", "winner@lucky-prize.example"),
}
USER_LABELS = [
    ("Work", {"backgroundColor": "#4a86e8", "textColor": "#ffffff"}),
    ("Travel", {"backgroundColor": "#16a766", "textColor": "#ffffff"}),
    ("Receipts", None),
    ("Newsletters", None),
    ("Projects/Apollo", {"backgroundColor": "#fad165", "textColor": "#000000"}),
    ("Family", None),
]

TOPICS = [
    (
        "Q3 planning offsite",
        "work",
        "Can we lock the agenda for the offsite by Thursday? I'd like to leave room for the roadmap review.",
    ),
    (
        "Apollo launch checklist",
        "apollo",
        "Here is the current launch checklist. Legal sign-off and the status page update are still open.",
    ),
    (
        "Invoice #2231 from Acme",
        "work",
        "Please find the invoice for October attached. Payment terms are net 30 as agreed.",
    ),
    (
        "Lunch on Friday?",
        "personal",
        "Are you free for lunch on Friday? The new ramen place on 5th just opened.",
    ),
    (
        "Design review: onboarding flow",
        "apollo",
        "I've uploaded the new onboarding mocks. The biggest change is the permissions step.",
    ),
    (
        "Flight to Berlin",
        "travel",
        "Your itinerary is confirmed. Please check the baggage allowance before you fly.",
    ),
    (
        "Contract renewal",
        "work",
        "Acme wants to renew for two years with a 6% increase. Thoughts before I reply?",
    ),
    (
        "Hiring: senior backend engineer",
        "work",
        "We have three strong candidates for the final round. Can you join the panel on Wednesday?",
    ),
    (
        "Kids' soccer schedule",
        "family",
        "The fall schedule is out. Games are on Saturdays at 10, except the tournament weekend.",
    ),
    (
        "Budget numbers for 2027",
        "work",
        "Finance needs our headcount and tooling budget by the end of the month.",
    ),
    (
        "Apollo: incident postmortem",
        "apollo",
        "Draft postmortem for last Tuesday's outage is ready for review. Root cause was a stale cache.",
    ),
    (
        "Conference talk proposal",
        "work",
        "The CFP closes on the 15th. I think our migration story would make a great talk.",
    ),
    ("Apartment lease", "personal", "The landlord sent the renewal terms. Rent goes up by 3% from January."),
    (
        "Customer escalation: Globex",
        "work",
        "Globex reported intermittent timeouts on the sync API since Monday.",
    ),
    ("Team dinner", "work", "Let's celebrate the launch! I booked a table for 12 on Thursday at 7pm."),
    (
        "Reading group: Designing Data-Intensive Applications",
        "personal",
        "Next session covers chapter 5 on replication. Who wants to lead?",
    ),
]
ACME_PDF_TEXT = "Acme Corporation - Invoice 2231 - Amount due: USD 12,480.00"


def _png(width: int = 24, height: int = 16, color: tuple[int, int, int] = (66, 133, 244)) -> bytes:
    row = b"\x00" + bytes(color) * width
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _pdf(text: str) -> bytes:
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer << /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def _ics(summary: str, start: datetime, end: datetime, organizer: tuple[str, str], uid: str) -> bytes:
    fmt = "%Y%m%dT%H%M%SZ"
    return (
        "BEGIN:VCALENDAR\r\nPRODID:-//Sandbox//EN\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTART:{start.astimezone(UTC).strftime(fmt)}\r\nDTEND:{end.astimezone(UTC).strftime(fmt)}\r\n"
        f"SUMMARY:{summary}\r\nORGANIZER;CN={organizer[0]}:mailto:{organizer[1]}\r\n"
        f"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{ME[1]}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def _addr(person: tuple[str, str], charset: str = "utf-8") -> str:
    return formataddr(person, charset=charset)


def _text_part(text: str, subtype: str, charset: str) -> MIMEBase:
    """A text part in exactly this charset and transfer encoding (email's own Charset rewrites some)."""
    data = text.encode(charset, errors="replace")
    part = MIMEBase("text", subtype, charset=charset)
    if charset in ("iso-8859-1", "windows-1252"):
        part.set_payload(quopri.encodestring(data).decode("ascii"))
        part["Content-Transfer-Encoding"] = "quoted-printable"
    else:
        part.set_payload(data)
        encoders.encode_base64(part)
    return part


_built: dict[str, bytes] = {}  # build_message's answers: a reset builds the same mail again (dates move by day)


def build_message(*args: Any, **kwargs: Any) -> bytes:
    """A seed message's bytes (see _build_message), made once per process for the same arguments."""
    key = repr((args, sorted(kwargs.items())))
    found = _built.get(key)
    if found is None:
        if len(_built) > 4096:  # days go by in a long-lived process
            _built.clear()
        found = _built[key] = _build_message(*args, **kwargs)
    return found


def _build_message(
    sender: tuple[str, str],
    to: list[tuple[str, str]],
    subject: str,
    when: datetime,
    msgid: str,
    *,
    text: str | None = None,
    html: str | None = None,
    cc: list[tuple[str, str]] | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    charset: str = "utf-8",
    subject_charset: str = "utf-8",
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    extra: dict[str, str] | None = None,
) -> bytes:
    if text is not None and html is not None:
        body: MIMEBase = MIMEMultipart("alternative")
        body.attach(_text_part(text, "plain", charset))
        body.attach(_text_part(html, "html", charset))
    elif html is not None:
        body = _text_part(html, "html", charset)
    else:
        body = _text_part(text or "", "plain", charset)
    if attachments:
        outer: MIMEBase = MIMEMultipart("mixed")
        outer.attach(body)
        for name, ctype, data in attachments:
            main, sub = ctype.split("/", 1)
            part = MIMEBase(main, sub)
            if sub == "calendar":
                part.set_param("method", "REQUEST")
            part.set_payload(data)
            encoders.encode_base64(part)
            part.add_header("Content-Disposition", "attachment", filename=name)
            outer.attach(part)
        msg = outer
    else:
        msg = body
    msg["From"] = _addr(sender)
    msg["To"] = ", ".join(_addr(p) for p in to)
    if cc:
        msg["Cc"] = ", ".join(_addr(p) for p in cc)
    msg["Subject"] = Header(subject, subject_charset).encode() if not subject.isascii() else subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = msgid
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = " ".join(references or [in_reply_to])
    for key, value in (extra or {}).items():
        msg[key] = value
    msg["MIME-Version"] = "1.0"
    return msg.as_bytes()


def _newsletter_html(rng: random.Random, brand: str, i: int) -> str:
    items = [
        ("Markets rally as inflation cools", "https://morningbrief.example/a/markets"),
        ("The quiet comeback of trains", "https://morningbrief.example/a/trains"),
        ("Five tools we loved this week", "https://morningbrief.example/a/tools"),
        ("Why your phone battery dies in the cold", "https://morningbrief.example/a/battery"),
        ("A new record for solar power", "https://morningbrief.example/a/solar"),
    ]
    rng.shuffle(items)
    rows = "".join(
        f'<tr><td style="padding:8px"><a href="{url}?utm_source=nl&amp;id={i}">{title}</a></td>'
        f'<td style="color:#888">{rng.randint(2, 9)} min read</td></tr>'
        for title, url in items[:3]
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Newsletter</title>"
        "<style>body{font-family:Arial} .hide{display:none}</style>"
        "<script>window.trackOpen && trackOpen();</script></head><body>"
        f'<div style="display:none;max-height:0;overflow:hidden">Preheader: today\'s top stories from {brand} &zwnj;&nbsp;&zwnj;</div>'
        f"<h1>{brand} — Issue #{100 + i}</h1>"
        "<p>Good morning! Here is what you need to know today.</p>"
        f'<table role="presentation" width="100%">{rows}</table>'
        '<p><a href="https://morningbrief.example/unsubscribe?u=alex">Unsubscribe</a> · '
        '<a href="https://morningbrief.example/prefs">Preferences</a></p>'
        f'<img src="https://track.morningbrief.example/open/{i}.gif" width="1" height="1" alt="" style="display:block">'
        "</body></html>"
    )


def seed_mailbox(sb: Host, full: bool = True) -> None:
    box = sb.mailbox
    label_ids = {}
    for name, color in USER_LABELS:
        label_ids[name] = box.add_label(name, color=color).id
    if not full:
        return
    rng = random.Random(20261125)
    anchor = datetime.combine(sb.now().date(), datetime.min.time(), tzinfo=UTC)
    now_ms = sb.now_ms()
    counter = 0

    def msgid() -> str:
        nonlocal counter
        counter += 1
        return f"<{counter:05d}.{rng.randint(10**8, 10**9)}@mail.sandbox.example>"

    def add(raw: bytes, labels: list[str]) -> None:
        box.add(raw, labels, now_ms=now_ms)

    people = list(PEOPLE.values())
    # 1. conversations: long quoted reply chains, some multipart/alternative, some from me
    for t in range(72):
        subject, kind, opener = TOPICS[t % len(TOPICS)]
        if t >= len(TOPICS):
            subject = f"{subject} ({['follow-up', 'next steps', 'round 2', 'notes'][t % 4]} {t // len(TOPICS)})"
        if t % 9 == 4:
            subject = {
                0: "Grüße aus München - Angebot für Q4",
                1: "会議の議事録（10月）",
                2: "Отчёт за квартал",
                3: "Café meeting — ¿mañana?",
            }[t % 4]
        other = people[t % len(people)]
        cc = [people[(t + 3) % len(people)]] if t % 5 == 0 else None
        start = anchor - timedelta(days=t * 1.6 + 0.3, hours=rng.randint(0, 9))
        length = 2 + (t * 7) % 6
        history: list[tuple[tuple[str, str], datetime, str]] = []
        ids: list[str] = []
        charset = {0: "utf-8", 1: "iso-8859-1", 2: "windows-1252", 3: "utf-8"}[t % 4]
        if "München" in subject:
            charset = "iso-8859-1"
        elif "会議" in subject:
            charset = "shift_jis"
        elif "Отчёт" in subject:
            charset = "koi8-r"
        for n in range(length):
            mine = n % 2 == 1
            sender, recipient = (ME, other) if mine else (other, ME)
            when = start + timedelta(hours=n * 5 + rng.randint(0, 3), minutes=rng.randint(0, 59))
            line = (
                opener
                if n == 0
                else rng.choice(
                    [
                        "Thanks, that works for me.",
                        "Sounds good — let's go with option B.",
                        "I've added comments inline.",
                        "Can you send the latest numbers?",
                        "Agreed. I'll update the doc and circulate it.",
                        "Let me check with the team and get back to you.",
                    ]
                )
            )
            if "München" in subject:
                line = "Sehr geehrter Herr Morgan, anbei unser Angebot für Q4. Mit freundlichen Grüßen — Müller"
            elif "会議" in subject:
                line = "お疲れ様です。10月の会議の議事録を送ります。ご確認ください。"
            elif "Отчёт" in subject:
                line = "Добрый день! Отправляю отчёт за квартал. Всего хорошего."
            text = f"Hi {recipient[0].split()[0]},\n\n{line}\n\nBest,\n{sender[0].split()[0]}\n"
            for q_sender, q_when, q_text in reversed(history[-3:]):
                quoted = "\n".join("> " + ln for ln in q_text.splitlines())
                text += f"\nOn {format_datetime(q_when)}, {q_sender[0]} <{q_sender[1]}> wrote:\n{quoted}\n"
            html = None
            if t % 3 == 1:
                html = (
                    "<div dir='ltr'>"
                    + "".join(f"<p>{ln}</p>" for ln in text.split("\nOn ")[0].splitlines() if ln)
                    + (
                        "<blockquote class='gmail_quote'>"
                        + "<br>".join(text.split("\nOn ", 1)[1].splitlines())
                        + "</blockquote>"
                        if "\nOn " in text
                        else ""
                    )
                    + "</div>"
                )
            mid = msgid()
            attachments: list[tuple[str, str, bytes]] = []
            if "Invoice" in subject and n == 0:
                attachments = [("invoice-2231.pdf", "application/pdf", _pdf(ACME_PDF_TEXT))]
            elif "onboarding" in subject and n == 0:
                attachments = [("onboarding-mock.png", "image/png", _png())]
            elif "offsite" in subject.lower() and n == 0:
                attachments = [("agenda.txt", "text/plain", b"09:00 Roadmap\n11:00 Hiring\n14:00 Budget\n")]
            raw = build_message(
                sender,
                [recipient],
                subject if n == 0 else "Re: " + subject,
                when,
                mid,
                text=text,
                html=html,
                cc=cc,
                attachments=attachments,
                charset=charset,
                subject_charset="iso-8859-1" if charset == "iso-8859-1" else "utf-8",
                in_reply_to=ids[-1] if ids else None,
                references=list(ids) or None,
            )
            labels = ["SENT"] if mine else ["INBOX", "CATEGORY_PERSONAL"]
            age_days = (anchor - when).days
            if not mine and (age_days < 10 or t % 7 == 0) and n == length - 1:
                labels.append("UNREAD")
            if kind == "apollo":
                labels.append(label_ids["Projects/Apollo"])
            if kind in ("work", "apollo"):
                labels.append(label_ids["Work"])
            if kind == "travel":
                labels.append(label_ids["Travel"])
            if kind == "family":
                labels.append(label_ids["Family"])
            if t % 11 == 2 and not mine:
                labels.append("STARRED")
            if t % 4 == 0 and not mine:
                labels.append("IMPORTANT")
            if t in (70, 71):
                labels = [lb for lb in labels if lb != "INBOX"] + ["TRASH"]
            add(raw, labels)
            ids.append(mid)
            history.append((sender, when, text.split("\nOn ")[0]))

    # 2. newsletters: HTML only, with preheaders, tables, tracking pixels, styles and scripts
    for i in range(70):
        brand_key = "brew" if i % 2 == 0 else "shop"
        brand = SENDERS[brand_key]
        when = anchor - timedelta(days=i * 1.7, hours=-6 + rng.randint(0, 5))
        subject = (
            f"{brand[0]}: {['Top stories', 'Weekend reads', 'Flash sale — 40% off', 'New arrivals'][i % 4]} #{100 + i}"
        )
        html = _newsletter_html(rng, brand[0], i)
        raw = build_message(
            brand,
            [ME],
            subject,
            when,
            msgid(),
            html=html,
            extra={
                "List-Unsubscribe": f"<https://{brand[1].split('@')[1]}/unsubscribe>",
                "List-Id": f"{brand_key} <{brand_key}.list.example>",
            },
        )
        labels = [
            "INBOX",
            "CATEGORY_PROMOTIONS" if brand_key == "shop" else "CATEGORY_UPDATES",
            label_ids["Newsletters"],
        ]
        if i < 8:
            labels.append("UNREAD")
        add(raw, labels)

    # 3. notifications and receipts: plain text, some with PDF/ICS attachments
    for i in range(110):
        key = ["git", "air", "bank", "cloud", "git"][i % 5]
        sender = SENDERS[key]
        when = anchor - timedelta(days=i * 1.1, hours=rng.randint(0, 20))
        attachments = []
        if key == "git":
            subject = f"[acme/apollo] Pull request #{400 + i}: {rng.choice(['Fix cache invalidation', 'Add retries to sync client', 'Bump dependencies', 'Refactor billing module'])}"
            text = f"@alexm requested your review on #{400 + i}.\n\nView it on CodeHub: https://codehub.example/acme/apollo/pull/{400 + i}\n"
            labels = ["INBOX", "CATEGORY_UPDATES", label_ids["Projects/Apollo"]]
        elif key == "air":
            subject = f"Your boarding pass — SJ{200 + i} New York (JFK) → Berlin (BER)"
            text = f"Booking reference: {rng.choice('ABCDEFGHJK')}{rng.randint(10000, 99999)}\nSeat 14C. Boarding closes 30 minutes before departure.\n"
            dep = anchor + timedelta(days=10 + i % 20, hours=22)
            attachments = [
                (
                    f"flight-SJ{200 + i}.ics",
                    "text/calendar",
                    _ics(
                        f"Flight SJ{200 + i} JFK→BER",
                        dep,
                        dep + timedelta(hours=8, minutes=5),
                        sender,
                        f"sj{i}@skyjet.example",
                    ),
                )
            ]
            labels = ["INBOX", "CATEGORY_UPDATES", label_ids["Travel"]]
        elif key == "bank":
            subject = f"Your statement for {(anchor - timedelta(days=30 * (i // 5 + 1))).strftime('%B %Y')} is ready"
            text = "Your monthly statement is attached.\n\nHarbor Bank will never ask for your password by email.\n"
            attachments = [(f"statement-{i:03d}.pdf", "application/pdf", _pdf(f"Harbor Bank statement {i}"))]
            labels = ["INBOX", "CATEGORY_UPDATES", label_ids["Receipts"]]
        else:
            subject = f"Nimbus Cloud invoice {2026_0000 + i}: USD {rng.randint(40, 900)}.{rng.randint(10, 99)}"
            text = "Thank you for using Nimbus Cloud. Your invoice is attached.\n"
            attachments = [(f"nimbus-invoice-{i}.pdf", "application/pdf", _pdf(f"Nimbus invoice {i}"))]
            labels = ["INBOX", "CATEGORY_UPDATES", label_ids["Receipts"]]
        if i < 6:
            labels.append("UNREAD")
        if i % 9 == 5:
            labels = [lb for lb in labels if lb != "INBOX"]  # archived
        raw = build_message(sender, [ME], subject, when, msgid(), text=text, attachments=attachments)
        add(raw, labels)

    # 4. a little spam
    for i in range(4):
        when = anchor - timedelta(days=i * 3 + 1)
        raw = build_message(
            SENDERS["spam"],
            [ME],
            f"Congratulations!!! You have won ${(i + 1) * 1000}",
            when,
            msgid(),
            html="<p>Click <a href='https://lucky-prize.example/claim'>here</a> to claim.</p>",
        )
        add(raw, ["SPAM"])
    sb.mailbox.history.clear()  # the seed is the starting point, not history


def _at(day: date, hour: int, minute: int, tz: str) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(tz))


def seed_calendar(sb: Host, full: bool = True) -> None:
    store = sb.calendar
    primary = store.add_calendar(Calendar(ME[1], ME[1], "America/New_York", primary=True))
    team = store.add_calendar(
        Calendar(
            "c_apollo_team@group.calendar.google.com",
            "Team Apollo",
            "Europe/Berlin",
            description="Apollo project team calendar",
            color=("#fad165", "#000000"),
        )
    )
    holidays = store.add_calendar(
        Calendar(
            "en.usa#holiday@group.v.calendar.google.com",
            "Holidays in United States",
            "America/New_York",
            access_role="reader",
            color=("#16a765", "#000000"),
        )
    )
    if not full:
        return
    now = sb.now()
    today = now.astimezone(ZoneInfo("America/New_York")).date()
    monday = today - timedelta(days=today.weekday())

    def ins(cal: Calendar, body: dict[str, Any]) -> dict[str, Any]:
        return store.insert(cal, body, now - timedelta(days=60), conference=True)

    def att(*keys: str, statuses: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        out = [{"email": ME[1], "displayName": ME[0], "responseStatus": "accepted", "organizer": True}]
        for i, key in enumerate(keys):
            name, email = PEOPLE[key]
            out.append(
                {
                    "email": email,
                    "displayName": name,
                    "responseStatus": statuses[i] if i < len(statuses) else "needsAction",
                }
            )
        return out

    def dt(moment: datetime, tz: str) -> dict[str, str]:
        return {"dateTime": moment.isoformat(), "timeZone": tz}

    ny = "America/New_York"
    start = monday - timedelta(weeks=8)
    standup = ins(
        primary,
        {
            "summary": "Apollo daily stand-up",
            "description": "15 minutes. Blockers first.",
            "location": "Zoom",
            "start": dt(_at(start, 9, 30, ny), ny),
            "end": dt(_at(start, 9, 45, ny), ny),
            "recurrence": [
                "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR",
                f"EXDATE;TZID={ny}:{(monday - timedelta(weeks=2)).strftime('%Y%m%d')}T093000",
            ],
            "attendees": att("dana", "marcus", "priya", statuses=("accepted", "tentative", "declined")),
            "conferenceData": {
                "createRequest": {"requestId": "standup-1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}
            },
            "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 5}]},
        },
    )
    # a moved instance (Wednesday this week, to 11:00) and a cancelled one (Friday next week)
    wed = monday + timedelta(days=2)
    moved = f"{standup['id']}_{_at(wed, 9, 30, ny).astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    store.patch(
        primary,
        moved,
        {
            "start": dt(_at(wed, 11, 0, ny), ny),
            "end": dt(_at(wed, 11, 15, ny), ny),
            "summary": "Apollo stand-up (moved)",
        },
        now - timedelta(days=1),
        replace=False,
        if_match=None,
        conference=False,
    )
    fri = monday + timedelta(days=11)
    gone = f"{standup['id']}_{_at(fri, 9, 30, ny).astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    store.delete(primary, gone, now - timedelta(days=1))

    first_thu = date(today.year, today.month, 1) - timedelta(days=90)
    allhands = ins(
        primary,
        {
            "summary": "Company all-hands",
            "start": dt(_at(first_thu, 16, 0, ny), ny),
            "end": dt(_at(first_thu, 17, 0, ny), ny),
            "recurrence": ["RRULE:FREQ=MONTHLY;BYDAY=1TH"],
            "attendees": att("dana", "lena", "sam", statuses=("accepted", "accepted", "needsAction")),
            "location": "Main auditorium / livestream",
        },
    )
    instances = store.expand(
        primary, allhands, datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=70)
    )
    if len(instances) > 1:
        store.patch(
            primary,
            instances[1]["id"],
            {"location": "Offsite venue — Hall B", "summary": "Company all-hands (at the offsite)"},
            now - timedelta(days=2),
            replace=False,
            if_match=None,
            conference=False,
        )

    tue = monday + timedelta(days=1)
    ins(
        primary,
        {
            "summary": "1:1 Dana / Alex",
            "start": dt(_at(tue - timedelta(weeks=6), 14, 0, ny), ny),
            "end": dt(_at(tue - timedelta(weeks=6), 14, 30, ny), ny),
            "recurrence": [f"RRULE:FREQ=WEEKLY;UNTIL={(today + timedelta(days=120)).strftime('%Y%m%d')}T000000Z"],
            "attendees": att("dana", statuses=("accepted",)),
        },
    )
    ins(
        primary,
        {
            "summary": "Dana's birthday",
            "start": {"date": (today + timedelta(days=17)).isoformat()},
            "end": {"date": (today + timedelta(days=18)).isoformat()},
            "recurrence": ["RRULE:FREQ=YEARLY"],
            "transparency": "transparent",
        },
    )
    ins(
        primary,
        {
            "summary": "Q3 planning offsite",
            "start": {"date": (monday + timedelta(days=17)).isoformat()},
            "end": {"date": (monday + timedelta(days=19)).isoformat()},
            "location": "Lake House, Bear Mountain",
            "attendees": att("dana", "marcus", "lena", statuses=("accepted", "accepted", "tentative")),
        },
    )
    ins(
        primary,
        {
            "summary": "Dana OOO",
            "start": {"date": (today + timedelta(days=3)).isoformat()},
            "end": {"date": (today + timedelta(days=4)).isoformat()},
            "transparency": "transparent",
        },
    )
    tokyo = today + timedelta(days=2)
    ins(
        primary,
        {
            "summary": "Sync with Tokyo team",
            "start": dt(_at(tokyo, 9, 0, "Asia/Tokyo"), "Asia/Tokyo"),
            "end": dt(_at(tokyo, 10, 0, "Asia/Tokyo"), "Asia/Tokyo"),
            "attendees": att("yamada", statuses=("accepted",)),
            "conferenceData": {
                "createRequest": {"requestId": "tokyo-1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}
            },
        },
    )
    fly = today + timedelta(days=12)
    ins(
        primary,
        {
            "summary": "Flight SJ210 JFK → BER",
            "start": dt(_at(fly, 22, 0, ny), ny),
            "end": dt(_at(fly + timedelta(days=1), 12, 5, "Europe/Berlin"), "Europe/Berlin"),
            "location": "JFK Terminal 4",
            "transparency": "opaque",
        },
    )
    ins(
        primary,
        {
            "summary": "Vendor demo (LA)",
            "start": dt(_at(today + timedelta(days=5), 10, 0, "America/Los_Angeles"), "America/Los_Angeles"),
            "end": dt(_at(today + timedelta(days=5), 11, 0, "America/Los_Angeles"), "America/Los_Angeles"),
            "attendees": att("fatima", "sam", statuses=("tentative", "accepted")),
        },
    )
    for d, (title, hour, keys, statuses) in enumerate(
        [
            ("Lunch with Priya", 12, ("priya",), ("accepted",)),
            ("Design review: onboarding", 15, ("marcus", "lena"), ("accepted", "needsAction")),
            ("Dentist", 8, (), ()),
            ("Interview: senior backend (panel)", 13, ("sam", "fatima"), ("accepted", "declined")),
            ("Budget review with finance", 11, ("soren",), ("needsAction",)),
            ("Team dinner", 19, ("dana", "marcus", "priya"), ("accepted", "accepted", "tentative")),
            ("Coffee with José", 10, ("jose",), ("accepted",)),
            ("Globex escalation call", 16, ("priya", "oleg"), ("accepted", "needsAction")),
        ]
    ):
        day = today + timedelta(days=d - 2)
        body: dict[str, Any] = {
            "summary": title,
            "start": dt(_at(day, hour, 0, ny), ny),
            "end": dt(_at(day, hour + 1, 0, ny), ny),
        }
        if keys:
            body["attendees"] = att(*keys, statuses=statuses)
        ins(primary, body)
    # an invitation from someone else, not yet answered
    ins(
        primary,
        {
            "summary": "Architecture guild",
            "start": dt(_at(today + timedelta(days=4), 13, 0, ny), ny),
            "end": dt(_at(today + timedelta(days=4), 14, 0, ny), ny),
            "organizer": {"email": PEOPLE["lena"][1], "displayName": PEOPLE["lena"][0]},
            "attendees": [
                {
                    "email": PEOPLE["lena"][1],
                    "displayName": PEOPLE["lena"][0],
                    "organizer": True,
                    "responseStatus": "accepted",
                },
                {"email": ME[1], "displayName": ME[0], "responseStatus": "needsAction"},
            ],
        },
    )

    berlin = "Europe/Berlin"
    ins(
        team,
        {
            "summary": "Sprint planning",
            "start": dt(_at(monday - timedelta(weeks=6), 10, 0, berlin), berlin),
            "end": dt(_at(monday - timedelta(weeks=6), 11, 30, berlin), berlin),
            "recurrence": ["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"],
            "attendees": att("jose", "soren", statuses=("accepted", "accepted")),
        },
    )
    ins(
        team,
        {
            "summary": "Apollo release day",
            "start": {"date": (today + timedelta(days=9)).isoformat()},
            "end": {"date": (today + timedelta(days=10)).isoformat()},
        },
    )
    ins(
        team,
        {
            "summary": "Berlin design review",
            "start": dt(_at(today + timedelta(days=13), 15, 0, berlin), berlin),
            "end": dt(_at(today + timedelta(days=13), 16, 0, berlin), berlin),
            "location": "Berlin office, Room Spree",
            "attendees": att("jose", "soren", "yamada", statuses=("accepted", "tentative", "needsAction")),
        },
    )

    for year in (today.year, today.year + 1):
        nov1 = date(year, 11, 1)
        thanksgiving = nov1 + timedelta(days=(3 - nov1.weekday()) % 7 + 21)
        for title, day in [
            ("New Year's Day", date(year, 1, 1)),
            ("Independence Day", date(year, 7, 4)),
            ("Thanksgiving Day", thanksgiving),
            ("Christmas Day", date(year, 12, 25)),
        ]:
            store.insert(
                holidays,
                {
                    "summary": title,
                    "start": {"date": day.isoformat()},
                    "end": {"date": (day + timedelta(days=1)).isoformat()},
                    "transparency": "transparent",
                    "visibility": "public",
                },
                now,
                conference=False,
            )

    # other people's busy time, for freeBusy on attendees
    rng = random.Random(7)
    for _, email in PEOPLE.values():
        blocks = []
        for offset in range(-14, 60):
            day = today + timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for _ in range(rng.randint(1, 3)):
                hour = rng.randint(9, 16)
                s = _at(day, hour, rng.choice((0, 30)), ny)
                blocks.append((s, s + timedelta(minutes=rng.choice((30, 60, 90)))))
        store.people[email] = blocks
    store.notifications.clear()


OTHER = ("Jordan Lee", "jordan.lee@example.com")


def seed_other(sb: Host, full: bool = True) -> None:
    """The second person's account (the sandbox acts as it): a mailbox, a calendar and nothing in common
    with the first, so that a server many people use can be shown to keep them apart."""
    _small_account(
        sb,
        OTHER,
        "Europe/London",
        [
            (("Priya Shah", "priya.shah@example.org"), "Jordan: salary review", "Your review is on Thursday."),
            (("Clinic", "appointments@clinic.example"), "Jordan: your appointment", "Tuesday 9:30, bring your card."),
        ],
        "Jordan: dentist",
        full,
    )


PERSONAL = ("Alex Morgan", "alex.personal@example.net")


def seed_personal(sb: Host, full: bool = True) -> None:
    """The first person's personal account, to be linked beside the work one."""
    _small_account(
        sb,
        PERSONAL,
        "America/New_York",
        [
            (("Sam Morgan", "sam.morgan@example.net"), "Personal: dinner on Saturday?", "Our place, 7pm."),
            (("Landlord", "rent@flats.example"), "Personal: rent receipt", "Received, thank you."),
        ],
        "Personal: climbing",
        full,
    )


def _small_account(
    sb: Host,
    me: tuple[str, str],
    tz: str,
    mail: list[tuple[tuple[str, str], str, str]],
    event: str,
    full: bool,
) -> None:
    box, store = sb.mailbox, sb.calendar
    for name, color in USER_LABELS:
        box.add_label(name, color=color)
    store.add_calendar(Calendar(me[1], me[1], tz, primary=True))
    if not full:
        return
    now = sb.now()
    for i, (sender, subject, text) in enumerate(mail):
        raw = build_message(sender, [me], subject, now - timedelta(hours=i + 1), f"<{i}.{me[1]}>", text=text)
        box.add(raw, ["INBOX", "UNREAD"], now_ms=sb.now_ms())
    box.history.clear()
    day = now.astimezone(ZoneInfo(tz)).date() + timedelta(days=1)
    store.insert(
        store.calendars[me[1]],
        {
            "summary": event,
            "start": {"dateTime": _at(day, 9, 30, tz).isoformat(), "timeZone": tz},
            "end": {"dateTime": _at(day, 10, 30, tz).isoformat(), "timeZone": tz},
        },
        now - timedelta(days=1),
        conference=False,
    )
