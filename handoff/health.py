"""Health of the service and of what it depends on."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from handoff.api.deps import CtxDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(ctx: CtxDep) -> JSONResponse:
    """Reports the database and the assistant; 503 only when the database is down."""
    try:
        async with ctx.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        database = "ok"
    except Exception:
        database = "unavailable"
    rasa = "ok" if await ctx.rasa.healthy() else "unavailable"
    body: dict[str, Any] = {
        "status": "ok" if database == rasa == "ok" else "degraded",
        "database": database,
        "rasa": rasa,
    }
    return JSONResponse(body, status_code=200 if database == "ok" else 503)
