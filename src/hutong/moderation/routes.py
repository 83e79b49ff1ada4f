"""Moderation HTTP API for moderators and admins. Routes parse, authorise, call one service."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ValidationError
from starlette.requests import HTTPConnection

from hutong.core.auth import Principal, require_principal
from hutong.core.errors import Forbidden, InvalidInput, PayloadTooLarge
from hutong.moderation import Moderation
from hutong.moderation.schemas import (
    ActionName,
    AllowIn,
    AllowOut,
    ListsStatus,
    TermIn,
    TermOut,
    TermPage,
    TermPatch,
    TermsImport,
    TestOut,
    TextIn,
)

router = APIRouter(prefix="/moderation", tags=["moderation"])
_M = TypeVar("_M", bound=BaseModel)
STAFF_ROLES = frozenset({"moderator", "admin"})


async def require_staff(principal: Annotated[Principal, Depends(require_principal)]) -> Principal:
    """FastAPI dependency: the signed-in moderator or admin, or a 403 problem."""
    if principal.role not in STAFF_ROLES:
        raise Forbidden("Only moderators and admins may use the moderation console.")
    return principal


def moderation(conn: HTTPConnection) -> Moderation:
    mod: Moderation = conn.app.state.moderation
    return mod


Staff = Annotated[Principal, Depends(require_staff)]
Mod = Annotated[Moderation, Depends(moderation)]


async def read_limited(request: Request, max_bytes: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `max_bytes`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"At most {max_bytes // 1024} KiB of text can be tested at once.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"At most {max_bytes // 1024} KiB of text can be tested at once.")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(model: type[_M], raw: bytes) -> _M:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        fields = {
            ".".join(str(p) for p in err["loc"]) or "body": err["msg"] for err in exc.errors()
        }
        raise InvalidInput(
            "; ".join(f"{k}: {v}" for k, v in fields.items()), fields=fields
        ) from None


# -- terms -------------------------------------------------------------------------------


@router.get("/terms", response_model=TermPage)
async def list_terms(
    _: Staff,
    mod: Mod,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    category: Annotated[str | None, Query(max_length=32)] = None,
    action: ActionName | None = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
) -> TermPage:
    """Listed terms in id order, paged with `after` (the last id seen)."""
    return await mod.terms.list_terms(
        after=after, limit=limit, category=category, action=action, search=q
    )


@router.post("/terms", response_model=TermOut, status_code=201)
async def add_term(body: TermIn, staff: Staff, mod: Mod) -> TermOut:
    """List a term; every worker applies it within seconds."""
    return await mod.terms.add_term(staff.user_id, body)


@router.post("/terms/import", response_model=list[TermOut], status_code=201)
async def import_terms(body: TermsImport, staff: Staff, mod: Mod) -> list[TermOut]:
    """List up to 1,000 terms at once, all or none."""
    return await mod.terms.import_terms(staff.user_id, body)


@router.patch("/terms/{term_id}", response_model=TermOut)
async def update_term(term_id: int, body: TermPatch, staff: Staff, mod: Mod) -> TermOut:
    return await mod.terms.update_term(staff.user_id, term_id, body)


@router.delete("/terms/{term_id}", status_code=204)
async def delete_term(term_id: int, staff: Staff, mod: Mod) -> Response:
    await mod.terms.delete_term(staff.user_id, term_id)
    return Response(status_code=204)


# -- allow-list --------------------------------------------------------------------------


@router.get("/allow", response_model=list[AllowOut])
async def list_allow(_: Staff, mod: Mod) -> list[AllowOut]:
    return await mod.terms.list_allow()


@router.post("/allow", response_model=AllowOut, status_code=201)
async def add_allow(body: AllowIn, staff: Staff, mod: Mod) -> AllowOut:
    """Never flag matches inside this phrase (for false positives such as Scunthorpe)."""
    return await mod.terms.add_allow(staff.user_id, body)


@router.delete("/allow/{allow_id}", status_code=204)
async def delete_allow(allow_id: int, staff: Staff, mod: Mod) -> Response:
    await mod.terms.delete_allow(staff.user_id, allow_id)
    return Response(status_code=204)


# -- trying text and status --------------------------------------------------------------


@router.post("/test", response_model=TestOut)
async def try_text(request: Request, _: Staff, mod: Mod) -> TestOut:
    """What the current lists make of `{"text": …}`: matches and the masked text."""
    raw = await read_limited(request, request.app.state.settings.moderation_test_max_bytes)
    body = parse_json(TextIn, raw)
    return await mod.terms.test(body.text)


@router.get("/status", response_model=ListsStatus)
async def status(_: Staff, mod: Mod) -> ListsStatus:
    """The lists version in the database and the one this worker has compiled."""
    return await mod.terms.status()
