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
