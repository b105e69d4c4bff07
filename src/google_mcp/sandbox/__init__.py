"""A local stand-in for Gmail v1 and Calendar v3 that the real Google client talks to over HTTP."""

from .app import Sandbox
from .server import SandboxThread, serve
from .web import create_app

__all__ = ["Sandbox", "SandboxThread", "create_app", "serve"]
