"""Moderation HTTP API for moderators and admins. Routes parse, authorise, call one service."""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ValidationError
from starlette.requests import HTTPConnection

from hutong.core.auth import Principal, require_principal
from hutong.core.errors import Forbidden, InvalidInput, PayloadTooLarge
from hutong.moderation import Moderation
from hutong.moderation.schemas import (
    ActionName,
    AllowIn,
    AllowOut,
    AppealDecisionIn,
    AppealIn,
    AppealOut,
    AuditOut,
    CaseDetail,
    CaseOut,
    CasePage,
    DecisionIn,
    ListsStatus,
    ReportIn,
    ReportKind,
    ReportOut,
    SanctionOut,
    TermIn,
    TermOut,
    TermPage,
    TermPatch,
    TermsImport,
    TestOut,
    TextIn,
    TransparencyMonth,
)

router = APIRouter(tags=["moderation"])
_M = TypeVar("_M", bound=BaseModel)
STAFF_ROLES = frozenset({"moderator", "admin"})


async def require_staff(principal: Annotated[Principal, Depends(require_principal)]) -> Principal:
    """FastAPI dependency: the signed-in moderator or admin, or a 403 problem."""
    if principal.role not in STAFF_ROLES:
        raise Forbidden("Only moderators and admins may use the moderation console.")
    return principal


async def moderation(conn: HTTPConnection) -> Moderation:
    mod: Moderation = conn.app.state.moderation
    return mod


Staff = Annotated[Principal, Depends(require_staff)]
Id = Annotated[int, Path(ge=1, le=2**62)]
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


@router.get("/moderation/terms", response_model=TermPage)
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


@router.post("/moderation/terms", response_model=TermOut, status_code=201)
async def add_term(body: TermIn, staff: Staff, mod: Mod) -> TermOut:
    """List a term; every worker applies it within seconds."""
    return await mod.terms.add_term(staff.user_id, body)


@router.post("/moderation/terms/import", response_model=list[TermOut], status_code=201)
async def import_terms(body: TermsImport, staff: Staff, mod: Mod) -> list[TermOut]:
    """List up to 1,000 terms at once, all or none."""
    return await mod.terms.import_terms(staff.user_id, body)


@router.patch("/moderation/terms/{term_id}", response_model=TermOut)
async def update_term(term_id: int, body: TermPatch, staff: Staff, mod: Mod) -> TermOut:
    return await mod.terms.update_term(staff.user_id, term_id, body)


@router.delete("/moderation/terms/{term_id}", status_code=204)
async def delete_term(term_id: int, staff: Staff, mod: Mod) -> Response:
    await mod.terms.delete_term(staff.user_id, term_id)
    return Response(status_code=204)


# -- allow-list --------------------------------------------------------------------------


@router.get("/moderation/allow", response_model=list[AllowOut])
async def list_allow(_: Staff, mod: Mod) -> list[AllowOut]:
    return await mod.terms.list_allow()


@router.post("/moderation/allow", response_model=AllowOut, status_code=201)
async def add_allow(body: AllowIn, staff: Staff, mod: Mod) -> AllowOut:
    """Never flag matches inside this phrase (for false positives such as Scunthorpe)."""
    return await mod.terms.add_allow(staff.user_id, body)


@router.delete("/moderation/allow/{allow_id}", status_code=204)
async def delete_allow(allow_id: int, staff: Staff, mod: Mod) -> Response:
    await mod.terms.delete_allow(staff.user_id, allow_id)
    return Response(status_code=204)


# -- trying text and status --------------------------------------------------------------


@router.post("/moderation/test", response_model=TestOut)
async def try_text(request: Request, _: Staff, mod: Mod) -> TestOut:
    """What the current lists make of `{"text": …}`: matches and the masked text."""
    raw = await read_limited(request, request.app.state.settings.moderation_test_max_bytes)
    body = parse_json(TextIn, raw)
    return await mod.terms.test(body.text)


@router.get("/moderation/status", response_model=ListsStatus)
async def status(_: Staff, mod: Mod) -> ListsStatus:
    """The lists version in the database and the one this worker has compiled."""
    return await mod.terms.status()


# -- the queue ---------------------------------------------------------------------------


@router.get("/moderation/queue", response_model=CasePage)
async def queue(
    staff: Staff,
    mod: Mod,
    status: Literal["open", "claimed", "decided"] = "open",
    kind: ReportKind | None = None,
    source: Literal["report", "held"] | None = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    mine: bool = False,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CasePage:
    """Reported and held items, oldest first; `mine` for the cases this moderator claimed."""
    return await mod.cases.queue(
        status=status,
        kind=kind,
        source=source,
        category=category,
        claimed_by=staff.user_id if mine else None,
        after=after,
        limit=limit,
    )


@router.get("/moderation/cases/{case_id}", response_model=CaseDetail)
async def case_detail(case_id: Id, _: Staff, mod: Mod) -> CaseDetail:
    """A case with every report (each reporter's copy) and the user's earlier sanctions."""
    return await mod.cases.get(case_id)


@router.post("/moderation/cases/{case_id}/claim", response_model=CaseOut)
async def claim(case_id: Id, staff: Staff, mod: Mod) -> CaseOut:
    return await mod.cases.claim(staff.user_id, case_id)


@router.post("/moderation/cases/{case_id}/decide", response_model=CaseOut)
async def decide(case_id: Id, body: DecisionIn, staff: Staff, mod: Mod) -> CaseOut:
    """approve, remove, warn, mute (with `days`) or ban; the user is told and may appeal."""
    return await mod.cases.decide(staff.user_id, case_id, body)


@router.get("/moderation/appeals", response_model=list[AppealOut])
async def appeals(
    _: Staff, mod: Mod, status: Literal["open", "granted", "denied"] = "open"
) -> list[AppealOut]:
    return await mod.appeals.list(status=status)


@router.post("/moderation/appeals/{appeal_id}/decide", response_model=AppealOut)
async def decide_appeal(appeal_id: Id, body: AppealDecisionIn, staff: Staff, mod: Mod) -> AppealOut:
    """A moderator other than the one who decided grants (lifts the sanction) or denies."""
    return await mod.appeals.decide(staff.user_id, appeal_id, body)


@router.get("/moderation/audit", response_model=list[AuditOut])
async def audit(
    _: Staff,
    mod: Mod,
    before: Annotated[int, Query(ge=0)] = 0,
    user_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditOut]:
    """Every moderation action, newest first (who, what, why, when)."""
    return await mod.transparency.audit(after=before, limit=limit, subject_user_id=user_id)


# -- for every user ------------------------------------------------------------------------


@router.post("/reports", response_model=ReportOut, status_code=201)
async def report(
    body: ReportIn, user: Annotated[Principal, Depends(require_principal)], mod: Mod
) -> ReportOut:
    """Report a user, post, comment, message or mini-program you can see."""
    return await mod.cases.report(user.user_id, body)


@router.get("/me/moderation", response_model=list[SanctionOut])
async def my_notices(
    user: Annotated[Principal, Depends(require_principal)], mod: Mod
) -> list[SanctionOut]:
    """What moderators decided about me, with the rule, the reason and the appeal deadline."""
    return await mod.appeals.notices(user.user_id)


@router.post("/me/moderation/{sanction_id}/appeal", response_model=AppealOut, status_code=201)
async def appeal(
    sanction_id: Id,
    body: AppealIn,
    user: Annotated[Principal, Depends(require_principal)],
    mod: Mod,
) -> AppealOut:
    """Appeal a decision once, within 20 days; a second moderator decides."""
    return await mod.appeals.appeal(user.user_id, sanction_id, body)


@router.get("/transparency", response_model=list[TransparencyMonth])
async def transparency(
    mod: Mod, month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None
) -> list[TransparencyMonth]:
    """Public: reports, decisions and appeals counted by action and category per month."""
    return await mod.transparency.months(month)
