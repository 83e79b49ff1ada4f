"""Request and response shapes of the moderation API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

CATEGORY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
Category = Annotated[
    str,
    BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v),
    StringConstraints(pattern=CATEGORY_PATTERN),
]
ActionName = Literal["mask", "review", "block"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TermIn(Strict):
    """A term to list. Its length and spelling are checked by the matcher's own rules."""

    term: str = Field(description="literal text, at most 64 characters")
    category: Category = Field(description="a slug such as gambling, fraud, abuse")
    action: ActionName
    whole_word: bool = Field(False, description="match only whole words (alphabetic scripts)")


class TermPatch(Strict):
    category: Category | None = None
    action: ActionName | None = None
    whole_word: bool | None = None


class TermsImport(Strict):
    terms: list[TermIn] = Field(min_length=1, max_length=1000)


class TermOut(BaseModel):
    id: int
    term: str
    norm: str
    category: str
    action: str
    whole_word: bool
    created_by: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class TermPage(BaseModel):
    terms: list[TermOut]
    next_cursor: int | None
    version: int


class AllowIn(Strict):
    phrase: str = Field(description="literal text, at most 64 characters")


class AllowOut(BaseModel):
    id: int
    phrase: str
    norm: str
    created_by: int | None
    created_at: dt.datetime


class TextIn(Strict):
    text: Annotated[str, StringConstraints(max_length=10_000)]


class MatchOut(BaseModel):
    term_id: int
    term: str
    category: str
    action: str
    whole_word: bool
    start: int
    end: int
    text: str


class TestOut(BaseModel):
    outcome: Literal["allow", "mask", "review", "block"]
    category: str
    text: str
    normalised: str
    matches: list[MatchOut]
    version: int


class ListsStatus(BaseModel):
    """What this worker has compiled, against what the database holds."""

    version: int
    loaded_version: int
    terms: int
    allow: int
    skipped: int
    loaded_at: dt.datetime | None


# -- reports, the queue and decisions ----------------------------------------------------

ReportKind = Literal["user", "post", "comment", "message", "miniapp"]
Decision = Literal["approve", "remove", "warn", "mute", "ban"]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class ReportIn(Strict):
    kind: ReportKind
    ref: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    reason: Category = Field(description="a slug such as spam, abuse, fraud")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class ReportOut(BaseModel):
    id: int
    case_id: int
    kind: str
    ref: str
    reason: str
    created_at: dt.datetime


class ReportDetail(BaseModel):
    id: int
    reporter_id: int
    reason: str
    note: str
    snapshot: dict[str, object]
    created_at: dt.datetime


class CaseOut(BaseModel):
    id: int
    kind: str
    ref: str
    source: str
    subject_user_id: int | None
    category: str
    snapshot: dict[str, object]
    report_count: int
    status: str
    claimed_by: int | None
    decision: str
    decision_reason: str
    decided_by: int | None
    decided_at: dt.datetime | None
    created_at: dt.datetime


class CaseDetail(CaseOut):
    reports: list[ReportDetail]
    subject_sanctions: list[SanctionOut]


class CasePage(BaseModel):
    cases: list[CaseOut]
    next_cursor: int | None


class DecisionIn(Strict):
    decision: Decision
    reason: Reason
    days: Annotated[int, Field(ge=1, le=3650)] | None = Field(None, description="mute only")
    category: Category | None = Field(None, description="the rule broken; the case's by default")


class SanctionOut(BaseModel):
    id: int
    user_id: int
    kind: str
    case_id: int | None
    category: str
    reason: str
    created_at: dt.datetime
    ends_at: dt.datetime | None
    revoked_at: dt.datetime | None
    appeal_until: dt.datetime
    appeal_status: str | None
    # What was acted on (the case's kind: post, comment, message, user, miniapp) and the start
    # of its text as the case recorded it; None and "" for a sanction without a case.
    content_kind: str | None = None
    content_ref: str | None = None
    excerpt: str = ""


class AppealIn(Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class AppealOut(BaseModel):
    id: int
    sanction_id: int
    user_id: int
    text: str
    status: str
    decided_by: int | None
    decided_at: dt.datetime | None
    decision_reason: str
    created_at: dt.datetime
    sanction: SanctionOut


class AppealDecisionIn(Strict):
    grant: bool
    reason: Reason


class TransparencyRow(BaseModel):
    action: str
    category: str
    count: int


class TransparencyMonth(BaseModel):
    month: str
    rows: list[TransparencyRow]


class AuditOut(BaseModel):
    id: int
    actor_id: int | None
    action: str
    category: str
    subject_user_id: int | None
    target_kind: str
    target_id: str
    reason: str
    detail: dict[str, object]
    created_at: dt.datetime
