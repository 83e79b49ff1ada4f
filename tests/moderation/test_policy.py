"""The content policy: one checked entry point, wired into names and bios."""

from __future__ import annotations

import inspect
from typing import Any, get_args

import pytest

from hutong.accounts import AccountService
from hutong.app import Container
from hutong.core.content import CONTENT_KINDS, ContentKind, Outcome
from hutong.moderation.schemas import TermIn, TermPatch
from tests.helpers import PASSWORD, Api, User


def kind(body: dict[str, Any]) -> str:
    return str(body["type"]).rsplit("/", 1)[-1]


async def add_terms(container: Container, *terms: tuple[str, str, str]) -> None:
    for term, category, action in terms:
        await container.moderation.terms.add_term(
            0,
            TermIn(term=term, category=category, action=action),  # type: ignore[arg-type]
        )


TERMS = [("casino", "gambling", "block"), ("idiot", "abuse", "mask"), ("诈骗", "fraud", "review")]


@pytest.mark.parametrize("content_kind", sorted(CONTENT_KINDS))
async def test_every_kind_of_text_gets_a_verdict(
    api: Api, container: Container, content_kind: ContentKind
) -> None:
    await add_terms(container, *TERMS)
    check = container.moderation.policy.check
    allow = await check(content_kind, "今天喝茶 tea time", author_id=1)
    assert (allow.outcome, allow.text) == (Outcome.ALLOW, "今天喝茶 tea time")
    mask = await check(content_kind, "you IDIOT", author_id=1)
    assert (mask.outcome, mask.text, mask.category) == (Outcome.MASK, "you *****", "abuse")
    review = await check(content_kind, "小心诈·骗", author_id=1)
    assert (review.outcome, review.category) == (Outcome.REVIEW, "fraud")
    block = await check(content_kind, "best c.a.s.i.n.o idiot", author_id=1)
    assert (block.outcome, block.category) == (Outcome.BLOCK, "gambling")
    assert "gambling" in block.detail


async def test_an_unknown_kind_is_a_programming_error(api: Api, container: Container) -> None:
    with pytest.raises(ValueError, match="unknown content kind"):
        await container.moderation.policy.check("poem", "text", author_id=1)  # type: ignore[arg-type]
    assert set(get_args(ContentKind)) == CONTENT_KINDS


def test_services_cannot_be_built_without_the_content_policy() -> None:
    param = inspect.signature(AccountService).parameters["content"]
    assert param.kind is inspect.Parameter.KEYWORD_ONLY
    assert param.default is inspect.Parameter.empty


async def test_registration_with_a_blocked_name_is_refused_and_creates_nothing(
    api: Api, container: Container
) -> None:
    await add_terms(container, *TERMS)
    r = await api.client.post(
        "/auth/register",
        json={"handle": "lucky1", "password": PASSWORD, "display_name": "ＣＡＳＩＮＯ king"},
    )
    assert r.status_code == 422
    body = r.json()
    assert (kind(body), body["reason"]) == ("content-blocked", "gambling")
    assert body["errors"] == [{"field": "display_name", "message": "not allowed (gambling)"}]
    r = await api.client.post("/auth/register", json={"handle": "casino_88", "password": PASSWORD})
    assert r.status_code == 422
    assert r.json()["reason"] == "gambling"
    assert r.json()["errors"][0]["field"] == "handle"
    # A handle cannot hold "*", so a mask term refuses it too.
    r = await api.client.post("/auth/register", json={"handle": "the_idiot", "password": PASSWORD})
    assert r.status_code == 422
    assert (kind(r.json()), r.json()["reason"]) == ("content-blocked", "abuse")
    assert await container.accounts.count_users() == 0


async def test_registration_stores_a_masked_name(api: Api, container: Container) -> None:
    await add_terms(container, *TERMS)
    async with api.browser() as b:
        r = await b.post(
            "/auth/register",
            json={"handle": "mingming", "password": PASSWORD, "display_name": "Idiot 明明"},
        )
    assert r.status_code == 201, r.text
    assert r.json()["user"]["display_name"] == "***** 明明"


async def test_profile_edits_are_checked_and_refusals_change_nothing(
    api: Api, container: Container, user: User
) -> None:
    await add_terms(container, *TERMS)
    h = user.headers
    ok = await api.client.patch("/me", headers=h, json={"display_name": "小王", "bio": "喝茶"})
    assert ok.status_code == 200
    before = (await api.client.get("/me", headers=h)).json()

    r = await api.client.patch("/me", headers=h, json={"display_name": "c a s i n o", "bio": "x"})
    assert r.status_code == 422
    assert (kind(r.json()), r.json()["reason"]) == ("content-blocked", "gambling")
    r = await api.client.patch("/me", headers=h, json={"bio": "谨防诈\u200b骗"})
    assert r.status_code == 422
    assert (kind(r.json()), r.json()["reason"]) == ("content-needs-review", "fraud")
    assert "review" in r.json()["detail"]
    assert r.json()["errors"] == [{"field": "bio", "message": "needs review (fraud)"}]
    assert (await api.client.get("/me", headers=h)).json() == before

    async with api.socket(user) as ws:
        await ws.ready()
        r = await api.client.patch("/me", headers=h, json={"bio": "ignore that idiot"})
        assert r.status_code == 200
        assert r.json()["bio"] == "ignore that *****"
        event = (await ws.events(1))[0]
    assert event["kind"] == "profile.updated"
    assert event["payload"]["bio"] == "ignore that *****"
    assert (await api.client.get("/me", headers=h)).json()["bio"] == "ignore that *****"


async def test_clean_names_and_bios_pass_untouched(api: Api, container: Container) -> None:
    await add_terms(container, *TERMS, ("scam", "fraud", "block"))
    await container.moderation.terms.update_term(0, 4, TermPatch(whole_word=True))
    user = await api.register("scampi_fan")
    r = await api.client.patch(
        "/me", headers=user.headers, json={"display_name": "Scampi 爱好者", "bio": "Campus life"}
    )
    assert r.status_code == 200
    assert (r.json()["display_name"], r.json()["bio"]) == ("Scampi 爱好者", "Campus life")
