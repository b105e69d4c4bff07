"""Sharing Drive files, as the person must judge it: each person or group by name with what they may do and
whether Drive emails them, a loud warning before "anyone with the link" or a whole domain, and never an
auto-approved share outside the person's own domain. Also the grants a mail's Drive links need."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any, Literal

from google_mcp.errors import GoogleMCPError, InvalidInput
from google_mcp.google.compose import Outgoing, bare, parse_addresses
from google_mcp.google.drive import FOLDER, GOOGLE
from google_mcp.google.drive_models import Grant, Shared
from google_mcp.state import AppState

Role = Literal["reader", "commenter", "writer"]
CAN = {"reader": "can view", "commenter": "can comment", "writer": "can edit", "owner": "owns it"}
PERSONAL = {"gmail.com", "googlemail.com"}  # everyone's domain, so nobody's: every share from there is outside


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].lower()


def outside(me: str, email_or_domain: str) -> bool:
    """Beyond the person's own organisation: another domain, or any share from a personal account."""
    mine = domain_of(me)
    return mine in PERSONAL or domain_of(email_or_domain) != mine


@dataclass
class Audience:
    """Who a share reaches: the permissions to create, the preview's lines, and what always asks."""

    permissions: list[dict[str, Any]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    loud: list[str] = field(default_factory=list)
    asks: list[str] = field(default_factory=list)

    def add(self, me: str, kind: str, who: str, role: str, notify: bool) -> None:
        body: dict[str, Any] = {"type": kind, "role": role}
        told = "notified by email from Drive" if notify and kind in ("user", "group") else "not notified"
        if kind in ("user", "group"):
            body["emailAddress"] = who
            self.lines.append(f"{who} ({'person' if kind == 'user' else 'group'}): {CAN[role]} ({role}); {told}")
            if outside(me, who):
                self.asks.append(who)
        elif kind == "domain":
            body["domain"] = who
            self.loud.append(
                f"⚠ EVERYONE AT {who.upper()} will be able to open it ({CAN[role]}, {role}) without being named."
            )
            self.asks.append(f"everyone at {who}")
        else:
            self.loud.append(
                f"⚠ ANYONE WITH THE LINK — no sign-in needed, and a link can be forwarded — {CAN[role]} ({role})."
            )
            self.asks.append("anyone with the link")
        self.permissions.append(body)


def audience(
    me: str,
    role: str,
    people: list[str],
    groups: list[str],
    domain: str | None,
    anyone: bool,
    notify: bool,
) -> Audience:
    found = Audience()
    for kind, values in (("user", people), ("group", groups)):
        for who in dict.fromkeys(bare(a) for a in parse_addresses(values, "people" if kind == "user" else "groups")):
            found.add(me, kind, who, role, notify)
    if domain:
        name = domain.strip().lower().lstrip("@")
        if "." not in name or " " in name:
            raise InvalidInput(f"{domain!r} is not a domain; give it as example.com.")
        found.add(me, "domain", name, role, notify)
    if anyone:
        found.add(me, "anyone", "", role, notify)
    if not found.permissions:
        raise InvalidInput("Name who to share with: people, groups, a domain, or anyone_with_link=true.")
    return found


def already(permissions: list[dict[str, Any]]) -> str:
    shown = [
        f"{p.get('emailAddress') or p.get('domain') or 'anyone with the link'} ({p.get('role')})" for p in permissions
    ]
    return "Already shared with: " + (", ".join(shown) or "nobody")


async def share_op(state: AppState, op: dict[str, Any]) -> Shared:
    """Each permission in turn, on the version the preview showed; what was done is said even if one fails."""
    drive = state.drive
    meta = await drive.unchanged(op["file_id"], op["version"])
    granted: list[Grant] = []
    failed: list[str] = []
    for body in op["permissions"]:
        who = body.get("emailAddress") or body.get("domain") or "anyone"
        try:
            got = await drive.grant(op["file_id"], body, op["notify"], op.get("message"))
        except GoogleMCPError as exc:
            if not granted:
                raise
            failed.append(f"{who}: {exc}")
            continue
        granted.append(Grant(who=who, type=body["type"], role=body["role"], id=got.get("id", "")))
    notified = [g.who for g in granted if op["notify"] and g.type in ("user", "group")]
    return Shared(status="shared", id=op["file_id"], name=meta.get("name", ""), granted=granted, notified=notified,
                  failed=failed)  # fmt: skip


# a mail's Drive files ---------------------------------------------------------------------------
async def into_mail(
    state: AppState, out: Outgoing, ids: list[str], how: Literal["link", "file"]
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """Put Drive files into a mail: as files (bytes, under Gmail's limit), or as links with the view access
    each recipient lacks. The grants to make before it goes, the preview's lines, and who is outside."""
    drive = state.drive
    metas = [await drive.meta(i) for i in dict.fromkeys(ids)]
    if how == "file":
        room = state.settings.max_attachment_bytes - sum(a.size for a in out.attachments)
        lines = []
        for meta in metas:
            made = await drive.attachment(meta, room)
            room -= made.size
            out.attachments.append(made)
            as_pdf = " as PDF" if meta.get("mimeType", "").startswith(GOOGLE) else ""
            lines.append(f"Drive file {meta.get('name', '')!r} attached as a file{as_pdf}: nobody is granted access")
        return [], lines, []
    me = await drive.me()
    recipients = list(dict.fromkeys(bare(a) for a in out.to + out.cc + out.bcc))
    grants, lines, asks = [], [], []
    links = []
    for meta in metas:
        name, link = meta.get("name", ""), meta.get("webViewLink") or ""
        links.append((name, link))
        shared = await drive.permissions(meta["id"])
        have = {str(p.get("emailAddress", "")).lower() for p in shared}
        anyone = any(p.get("type") == "anyone" for p in shared)
        need = [] if anyone else [r for r in recipients if r not in have]
        role = "reader"
        for who in need:
            grants.append(
                {"file_id": meta["id"], "version": meta["version"], "permission": {"type": "user", "role": role,
                                                                                   "emailAddress": who}}
            )  # fmt: skip
            if outside(me, who):
                asks.append(who)
        kind = "folder" if meta.get("mimeType") == FOLDER else "file"
        granted = (
            f"grants {', '.join(need)} view access (reader); Drive sends no notice (this mail is it)"
            if need
            else "every recipient can already open it: grants nothing"
            if recipients
            else "no recipients yet: grants nothing"
        )
        lines.append(f"Drive {kind} {name!r} as a link ({link}): {granted}")
    listing = "\n".join(f"{name}: {link}" for name, link in links)
    if out.text is not None or out.html is None:
        out.text = f"{out.text}\n\n{listing}" if out.text else listing
    if out.html is not None:
        out.html += "".join(f'<p><a href="{escape(link)}">{escape(name)}</a></p>' for name, link in links)
    return grants, lines, asks


async def grant_all(state: AppState, grants: list[dict[str, Any]]) -> None:
    """A mail's link grants, before it goes: each on the version its preview showed, without a Drive notice."""
    seen: set[str] = set()
    for g in grants:
        if g["file_id"] not in seen:
            await state.drive.unchanged(g["file_id"], g["version"])
            seen.add(g["file_id"])
        await state.drive.grant(g["file_id"], g["permission"], False, None)
