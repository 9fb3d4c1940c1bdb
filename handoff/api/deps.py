"""Annotated dependencies shared by the routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.context import AppContext


def get_ctx(request: Request) -> AppContext:
    return request.app.state.ctx


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.ctx.sessions() as session:
        yield session


def cookie_name(request: Request) -> str:
    """The staff session cookie; the __Host- prefix needs HTTPS, so production only."""
    return "__Host-officer_session" if request.app.state.ctx.settings.production else "officer_session"


CtxDep = Annotated[AppContext, Depends(get_ctx)]
SessionDep = Annotated[AsyncSession, Depends(get_db)]
