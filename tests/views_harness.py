"""A host for our MCP Apps views in headless Chromium: the reference host bridge (AppBridge and
PostMessageTransport from npm @modelcontextprotocol/ext-apps, bundled once per session by esbuild) renders a
view's HTML, read from our server as a `ui://` resource, in a sandboxed iframe; the view's tools/call goes
through the bridge to `harnessCallTool`, which forwards it to our server through an MCP client session.

Use (see tests/test_views.py):

    # the fixtures `harness` (module) and `host_site` (session) come from conftest (pytest_plugins); a module
    # that uses `harness` declares its own module-scoped `anyio_backend` (an async fixture wider than a test)
    async with harness.mount(client, "ui://google-mcp/card", "gmail_send", args, result) as view:
        await view.frame.get_by_role("button", name="Approve").click()
        assert await view.serious_axe_violations() == []
        assert view.foreign_requests() == []
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.extension import advertise

from emulator import npm_install
from google_mcp.server import build_server
from google_mcp.settings import Settings
from mcp_helpers import Person

HERE = Path(__file__).parent / "views"
MODULES = HERE / "node_modules"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
APPS = {"mimeTypes": ["text/html;profile=mcp-app"]}  # what a host that shows views declares
HOST_PAGE = (
    '<!doctype html><html lang="en"><meta charset="utf-8"><title>host</title>'
    "<style>body{margin:0}iframe{border:0;width:100%;height:100vh;display:block}</style>"
    '<body><script src="/host.js"></script></body></html>'
)


def apps_extension() -> Any:
    return advertise("io.modelcontextprotocol/ui", APPS)


def connect_apps(settings: Settings, mode: str = "legacy", **kwargs: Any) -> Client:
    """An in-process client that shows views (declares the MCP Apps extension), and asks no elicitation."""
    return Client(build_server(settings), mode=mode, extensions=[apps_extension()], **kwargs)  # type: ignore[arg-type]


def bundle(out: Path) -> Path:
    """The host script with its npm dependencies, for the browser (esbuild, once per session)."""
    esbuild = MODULES / ".bin" / "esbuild"
    npm_install(HERE, esbuild, MODULES / "axe-core" / "axe.min.js")  # on first use, as the emulators are
    target = out / "host.js"
    subprocess.run(
        [str(esbuild), str(HERE / "host.js"), "--bundle", "--format=iife", "--minify", f"--outfile={target}"],
        check=True,
        capture_output=True,
        cwd=HERE,
    )
    return target


class Site:
    """The harness's origin (127.0.0.1): the host page, the bundled host script."""

    def __init__(self, files: dict[str, tuple[str, bytes]]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = files.get(self.path.split("?")[0])
                if found is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", found[0])
                self.send_header("Content-Length", str(len(found[1])))
                self.end_headers()
                self.wfile.write(found[1])

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Mounted:
    """One view in the host page: its frame, and everything the browser did meanwhile."""

    page: Any
    origin: str
    requests: list[str] = field(default_factory=list)  # every request the page began
    blocked: list[str] = field(default_factory=list)  # those the CSP stopped before they left the browser
    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def frame(self) -> Any:
        """A FrameLocator for the view (for clicks, roles, text)."""
        return self.page.frame_locator("#view")

    def view_frame(self) -> Any:
        """The view's Frame (for evaluate)."""
        return next(f for f in self.page.frames if f.parent_frame is self.page.main_frame)

    def foreign_requests(self) -> list[str]:
        """Requests that left the browser for anywhere but the harness's own origin (a view may make none)."""
        blocked = list(self.blocked)
        out = []
        for url in self.requests:
            if url in blocked:
                blocked.remove(url)
            elif not url.startswith(self.origin + "/"):
                out.append(url)
        return out

    async def serious_axe_violations(self) -> list[dict[str, Any]]:
        """axe-core run inside the view's frame: the serious and critical violations (ids, targets)."""
        frame = self.view_frame()
        await frame.evaluate(axe_source())  # through the debugger: the view's CSP admits no script of ours
        found = await frame.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
        )
        return list(found)

    async def shot(self, name: str, width: int | None = None) -> None:
        """With VIEW_SHOTS=DIR, a PNG of the view as shown (docs/views/ holds the committed ones);
        otherwise nothing."""
        where = os.environ.get("VIEW_SHOTS")
        if where:
            if width:
                await self.page.set_viewport_size({"width": width, "height": 900})
            height = await self.view_frame().evaluate("() => document.documentElement.scrollHeight")
            await self.page.set_viewport_size({"width": width or self.page.viewport_size["width"], "height": height})
            await self.page.screenshot(path=str(Path(where) / f"{name}.png"))

    async def text(self) -> str:
        return str(await self.view_frame().evaluate("() => document.body.innerText"))

    async def scroll_width(self) -> int:
        return int(await self.view_frame().evaluate("() => document.scrollingElement.scrollWidth"))


def axe_source() -> str:
    axe = MODULES / "axe-core" / "axe.min.js"
    npm_install(HERE, axe, MODULES / ".bin" / "esbuild")
    return axe.read_text()


class Harness:
    def __init__(self, browser: Any, site: Site) -> None:
        self.browser, self.site = browser, site

    async def resource(self, client: Client, uri: str) -> str:
        read = await client.read_resource(uri)
        content = read.contents[0]
        assert content.mime_type == "text/html;profile=mcp-app"
        return str(getattr(content, "text", ""))

    @asynccontextmanager
    async def mount(
        self,
        client: Client,
        uri: str,
        tool: str,
        arguments: dict[str, Any],
        result: Any,
        *,
        theme: str = "light",
        width: int = 390,
        host_context: dict[str, Any] | None = None,
    ) -> AsyncIterator[Mounted]:
        """Render `uri` as a host would for a call of `tool` with `arguments` that gave `result` (a
        CallToolResult). Inside, the view is initialized and has the input and the result."""
        html = await self.resource(client, uri)
        context = await self.browser.new_context(
            viewport={"width": width, "height": 900}, color_scheme=theme, timezone_id="Europe/Paris"
        )
        page = await context.new_page()
        mounted = Mounted(page, self.site.origin)
        page.on("request", lambda r: mounted.requests.append(r.url))
        page.on("console", lambda m: mounted.console.append(m.text))

        def failed(r: Any) -> None:
            if r.failure in ("csp", "net::ERR_BLOCKED_BY_CSP"):
                mounted.blocked.append(r.url)

        page.on("requestfailed", failed)

        async def dialog(d: Any) -> None:
            mounted.dialogs.append(d.message)
            await d.dismiss()

        page.on("dialog", dialog)

        async def call_tool(name: str, args: dict[str, Any]) -> dict[str, Any]:
            mounted.calls.append((name, args))
            answer = await client.call_tool(name, args)
            return answer.model_dump(by_alias=True, mode="json", exclude_none=True)

        await page.expose_function("harnessCallTool", call_tool)
        await page.goto(self.site.origin + "/host.html")
        dumped = result.model_dump(by_alias=True, mode="json", exclude_none=True) if result is not None else None
        context_in = {"theme": theme, "timeZone": "Europe/Paris", **(host_context or {})}
        await page.evaluate(
            "(a) => mountView(a)",
            {"html": html, "toolName": tool, "input": arguments, "result": dumped, "hostContext": context_in},
        )
        try:
            yield mounted
        finally:
            await context.close()


@pytest.fixture(scope="session")
def host_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    script = bundle(tmp_path_factory.mktemp("views-host")).read_bytes()
    site = Site({"/host.html": ("text/html", HOST_PAGE.encode()), "/host.js": ("text/javascript", script)})
    yield site
    site.close()


@pytest.fixture(scope="module")
async def harness(host_site: Site) -> AsyncIterator[Harness]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield Harness(browser, host_site)
        finally:
            await browser.close()


def dumped(result: Any) -> str:
    return json.dumps(result.model_dump(by_alias=True, mode="json", exclude_none=True))


__all__ = ["Harness", "Mounted", "Person", "apps_extension", "connect_apps", "harness", "host_site"]
