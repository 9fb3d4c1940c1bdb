"""The student's pages: the chat page, the page the widget frames, and the widget script."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from handoff.core.config import Settings, get_settings
from handoff.core.guard import CSP

STATIC = Path(__file__).resolve().parent / "static"
TEMPLATES = Path(__file__).resolve().parent / "templates"
WIDGET_MAX_AGE = 600  # seconds a browser may keep widget.js before asking again

router = APIRouter(include_in_schema=False)


def _settings(request: Request) -> Settings:
    ctx = getattr(request.app.state, "ctx", None)
    return ctx.settings if ctx is not None else get_settings()


def embed_csp(sites: list[str]) -> str:
    """The service-wide policy, except that this service and the configured sites may frame the page."""
    directives = [d.strip() for d in CSP.split(";") if d.strip() and not d.strip().startswith("frame-ancestors")]
    return "; ".join([*directives, "frame-ancestors " + " ".join(["'self'", *sites])])


@cache
def chat_html(embedded: bool) -> str:
    """The chat page, whole (`/`) or as the widget frames it (`/embed`): one template, rendered once per way."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(), keep_trailing_newline=True)
    return env.get_template("chat.html").render(embedded=embedded)


@router.get("/")
async def chat_page() -> HTMLResponse:
    return HTMLResponse(chat_html(embedded=False))


@router.get("/embed")
async def embedded_chat(request: Request) -> HTMLResponse:
    """The chat as the widget shows it, inside an iframe on an institution's own site."""
    return HTMLResponse(
        chat_html(embedded=True), headers={"Content-Security-Policy": embed_csp(_settings(request).embed_sites)}
    )


@router.get("/widget.js")
async def widget_script() -> FileResponse:
    """The one script an institution adds to its site: a launcher that opens /embed in an iframe."""
    return FileResponse(
        STATIC / "widget.js",
        media_type="text/javascript",
        headers={"Cache-Control": f"public, max-age={WIDGET_MAX_AGE}", "Cross-Origin-Resource-Policy": "cross-origin"},
    )
