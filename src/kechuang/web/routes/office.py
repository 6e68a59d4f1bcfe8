"""Everyday pages: the global search (企业 / 文件 / 目标, within the user's scope) and the help page
with the glossary."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from ..deps import CurrentUser, DbSession, Scope, render

router = APIRouter()


@router.get("/search", include_in_schema=False)
def search_page(request: Request, session: DbSession, rs: Scope,
                q: Annotated[str | None, Query(max_length=2000)] = None):
    from ...reader.store import reader_owners
    from ...search import SearchError, search

    user = rs.user
    owners = None if user.is_admin else reader_owners(rs.code)
    try:
        results = search(session, q or "", rs.codes, owners)
    except SearchError as exc:
        raise HTTPException(status_code=400, detail=str(exc))
    return render(request, "search.html", {"r": results, "q": results.q})


@router.get("/help", include_in_schema=False)
def help_page(request: Request, user: CurrentUser):
    from ...programs.catalog import GLOSSARY, program_names
    from ...rounds.store import STATUSES
    from ...targets.split import METHODS

    return render(request, "help.html", {"glossary": GLOSSARY, "programs": program_names(),
                                         "methods": METHODS, "round_statuses": STATUSES})
