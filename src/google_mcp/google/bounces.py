"""The parts of a bounce (multipart/report; report-type=delivery-status) as a person reads them.

- The delivery report: one line per failed (or delayed) recipient with its status code and diagnostic,
  however many times the report repeats the same block (mail servers retrying a list of 40 send 40).
- The returned message's headers (text/rfc822-headers): who, when and what only; the Received chain and
  the rest of the block on request, as it costs far more than it tells.
"""

from __future__ import annotations

import email.parser
import email.policy
import re

from google_mcp.charsets import decode_header

SHOWN_HEADERS = ("From", "To", "Cc", "Date", "Subject")
ASK_FOR_HEADERS = "gmail_get_message with include_returned_headers=true shows them"

Group = list[tuple[str, str]]


def groups_of(text: str) -> list[Group]:
    """The header groups of a message/delivery-status body (blank lines between them)."""
    parser = email.parser.HeaderParser(policy=email.policy.compat32)
    found = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        if block.strip():
            found.append([(name, str(value)) for name, value in parser.parsestr(block.strip() + "\n").items()])
    return found


def _field(group: Group, name: str) -> str:
    value = next((v for k, v in group if k.lower() == name), "")
    return re.sub(r"\s+", " ", value).strip()


def delivery_report(groups: list[Group]) -> str:
    """Each recipient's outcome once: `addr: failed 5.1.1 (550 5.1.1 User unknown)`, with a count when repeated."""
    lines: dict[str, int] = {}
    for group in groups:
        recipient = _field(group, "final-recipient") or _field(group, "original-recipient")
        if not recipient:
            continue  # the per-message group: the reporting server, arrival date
        address = recipient.partition(";")[2].strip() or recipient
        outcome = " ".join(x for x in (_field(group, "action").lower(), _field(group, "status")) if x)
        diagnostic = _field(group, "diagnostic-code")
        diagnostic = diagnostic.partition(";")[2].strip() if ";" in diagnostic[:12] else diagnostic
        line = f"{address}: {outcome or 'no status given'}" + (f" ({diagnostic})" if diagnostic else "")
        lines[line] = lines.get(line, 0) + 1
    if not lines:
        return "\n\n".join("\n".join(f"{k}: {v}" for k, v in g) for g in groups if g)
    return "\n".join(line + (f" [reported {n} times]" if n > 1 else "") for line, n in lines.items())


def returned_headers(text: str, full: bool) -> str:
    """A returned message's header block: the shown headers, or every line when asked for."""
    if full:
        return text.strip()
    items = email.parser.HeaderParser(policy=email.policy.compat32).parsestr(text.strip() + "\n").items()
    values = {name.lower(): decode_header(str(value)) for name, value in reversed(items)}
    shown = [f"{name}: {values[name.lower()]}" for name in SHOWN_HEADERS if values.get(name.lower())]
    rest = sum(1 for name, _ in items if name.title() not in SHOWN_HEADERS)
    if rest > 0:
        shown.append(f"[{rest} more header lines left out; {ASK_FOR_HEADERS}]")
    return "\n".join(shown)
