"""Files on a server many people use: each person's own folders, and nothing of the server's disk by default.

The single-person defaults (attachments from the home folder, downloads into it) would hand every person
the server account's home and each other's downloads. So here each person has a folder of their own under
the data folder, made 0700: `files` (what the operator puts there for them) and `downloads` (what they
saved from their mail). They attach from those two; the operator's GOOGLE_MCP_ATTACHMENT_ROOTS are added
only with GOOGLE_MCP_SERVER_FILES, and even then nobody attaches from another person's folder.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from google_mcp.google.compose import Files
from google_mcp.settings import Settings

_PLAIN = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what people/oauth.py makes of a Google account: p + hex


def people_folder(settings: Settings) -> Path:
    """Where every person's folder is: beside the sign-in store, in the data folder."""
    return settings.people_file.parent / "people"


def person_folder(settings: Settings, person: str) -> Path:
    name = person if _PLAIN.fullmatch(person) else "h" + hashlib.sha256(person.encode()).hexdigest()[:32]
    return people_folder(settings) / name


def _private(path: Path) -> Path:
    """A folder only this server's account may enter (made so even if it was there with looser rights)."""
    path.mkdir(mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def files_for(settings: Settings, person: str | None) -> Files:
    """Where the person being served attaches from and downloads to (None: nobody signed in)."""
    if not settings.oauth:
        return Files(tuple(settings.attachment_roots), settings.download_dir)
    server = tuple(settings.attachment_roots) if settings.server_files else ()
    advice = (
        "the operator opened these on this server's disk with GOOGLE_MCP_SERVER_FILES"
        if settings.server_files
        else "on this shared server you attach what is in your own folders; its operator can open more of the "
        "server's disk with GOOGLE_MCP_SERVER_FILES"
    )
    everyone = people_folder(settings)
    if person is None:  # no person's folder to give: nothing of anybody's, and only what the operator opened
        return Files(server, settings.download_dir, fence=everyone, advice=advice)
    settings.people_file.parent.mkdir(parents=True, exist_ok=True)
    _private(everyone)
    home = _private(person_folder(settings, person))
    own, downloads = _private(home / "files"), _private(home / "downloads")
    return Files((own, downloads, *server), downloads, fence=everyone, own=home, advice=advice)
