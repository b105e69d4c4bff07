"""Saving what a person downloads (a mail attachment, a Drive file) into their download folder: a file name
that stays in its folder and shows what it is, never over an existing file, readable by its owner only."""

from __future__ import annotations

import os
import re
from pathlib import Path

_BIDI = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")


def safe_name(name: str, default: str = "attachment") -> str:
    """A file name that stays in its folder, shows what it is (no right-to-left override hiding '.exe'),
    and fits every file system (at most 200 bytes, extension kept)."""
    name = os.path.basename(name.replace("\\", "/")).strip()
    name = _BIDI.sub("", re.sub(r"[\x00-\x1f\x7f/]", "_", name)).lstrip(".").strip()
    stem, ext = os.path.splitext(name)
    if len(ext.encode()) > 20:
        stem, ext = name, ""
    room = 200 - len(ext.encode())
    stem = stem.encode()[:room].decode("utf-8", errors="ignore")
    return (stem + ext) if stem else (default + ext)


def save(folder: Path, filename: str, data: bytes) -> Path:
    """Write `data` under `folder` as `filename` (made safe), beside any file of that name rather than over it."""
    folder.mkdir(parents=True, exist_ok=True)
    name = safe_name(filename)
    path = folder / name
    stem, suffix = os.path.splitext(name)
    n = 1
    while path.exists():
        path = folder / f"{stem} ({n}){suffix}"
        n += 1
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path
