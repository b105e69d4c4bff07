"""Screenshots of the MCP Apps views for docs/views/: each view (the week, the inbox, the activity, the approval
card) in light and dark, at 390 px and at desktop width, rendered as the tests render them: our server's own
`ui://` resource under the reference host bridge (tests/views_harness.py) in headless Chromium, fed by our
tools' real answers against the local sandbox. Nothing leaves 127.0.0.1.

    npm install --prefix tests/views     # once: the host bridge, esbuild, axe-core
    .venv/bin/python tools/screens.py    # writes docs/views/<view>-<theme>-<width>.png
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import anyio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from playwright.async_api import async_playwright  # noqa: E402

from google_mcp.sandbox import SandboxThread  # noqa: E402
from google_mcp.settings import Settings  # noqa: E402
from views_harness import CHROMIUM, FLAGS, HOST_PAGE, Harness, Site, bundle, connect_apps  # noqa: E402

OUT = ROOT / "docs" / "views"
WIDTHS = {"390": 390, "desktop": 1280}
BOTTOM = "() => document.getElementById('app').getBoundingClientRect().bottom + 16"  # the content, not the frame


async def shoot(
    harness: Harness, client: Any, name: str, uri: str, tool: str, args: dict[str, Any], result: Any, ready: str
) -> None:
    for theme in ("light", "dark"):
        for label, width in WIDTHS.items():
            async with harness.mount(client, uri, tool, args, result, theme=theme, width=width) as view:
                await view.frame.locator(ready).first.wait_for()
                height = await view.view_frame().evaluate(BOTTOM)
                await view.page.set_viewport_size({"width": width, "height": min(max(int(height), 300), 1400)})
                await view.page.wait_for_timeout(100)  # one layout pass at the new height
                target = OUT / f"{name}-{theme}-{label}.png"
                await view.page.screenshot(path=str(target))
                print(target.relative_to(ROOT))


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="screens-"))
    with SandboxThread() as sandbox:
        settings = Settings(
            _env_file=None,
            sandbox_url=sandbox.url,
            download_dir=home / "downloads",
            attachment_roots=[home],
            token_file=home / "token.json",
            log_file=home / "record.sqlite3",
            schedule_file=home / "schedule.sqlite3",
        )
        site = Site(
            {
                "/host.html": ("text/html", HOST_PAGE.encode()),
                "/host.js": ("text/javascript", bundle(home).read_bytes()),
            }
        )
        today = datetime.now(ZoneInfo("America/New_York")).date()
        monday = today - timedelta(days=today.weekday())
        week = {"time_min": monday.isoformat(), "time_max": (monday + timedelta(days=7)).isoformat()}
        mail = {"to": ["dana.whitfield@example.com"], "subject": "Board pack", "body_text": "Attached tonight."}
        try:
            async with async_playwright() as pw, connect_apps(settings) as client:
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                harness = Harness(browser, site)
                events = await client.call_tool("calendar_list_events", {**week, "max_results": 100})
                await shoot(
                    harness, client, "week", "ui://google-mcp/week", "calendar_list_events", week, events, ".wk-item"
                )
                busy = await client.call_tool("calendar_free_busy", {**week, "slot_minutes": 30})
                await shoot(
                    harness, client, "freebusy", "ui://google-mcp/week", "calendar_free_busy", week, busy, ".wk-free"
                )
                search = {"query": "in:inbox", "max_results": 12}
                found = await client.call_tool("gmail_search", search)
                await shoot(harness, client, "inbox", "ui://google-mcp/inbox", "gmail_search", search, found, ".ib-row")
                sent = await client.call_tool("gmail_send", {**mail, "subject": "Venue confirmed"})
                await client.call_tool(
                    "confirm_action", {"confirmation_id": sent.structured_content["confirmation_id"]}
                )
                held = await client.call_tool("gmail_send", mail)
                await shoot(harness, client, "card", "ui://google-mcp/card", "gmail_send", mail, held, "button.primary")
                log = await client.call_tool("activity_log", {"limit": 12})
                await shoot(
                    harness,
                    client,
                    "activity",
                    "ui://google-mcp/activity",
                    "activity_log",
                    {"limit": 12},
                    log,
                    ".ac-entry",
                )
                await browser.close()
        finally:
            site.close()


if __name__ == "__main__":
    anyio.run(main)
