"""The term-list API: moderators only, typed errors that change nothing, the test box."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from hutong.app import Container
from hutong.moderation.models import AuditEntry
from tests.helpers import Api, User


def kind(body: dict[str, Any]) -> str:
    return str(body["type"]).rsplit("/", 1)[-1]


async def lists_snapshot(api: Api, staff: User) -> tuple[int, list[str], list[str]]:
    terms = (await api.client.get("/moderation/terms", headers=staff.headers)).json()
    allow = (await api.client.get("/moderation/allow", headers=staff.headers)).json()
    return terms["version"], [t["term"] for t in terms["terms"]], [a["phrase"] for a in allow]


ENDPOINTS = [
    ("GET", "/moderation/terms", None),
    ("POST", "/moderation/terms", {"term": "casino", "category": "gambling", "action": "block"}),
    (
        "POST",
        "/moderation/terms/import",
        {"terms": [{"term": "x1", "category": "a", "action": "mask"}]},
    ),
    ("PATCH", "/moderation/terms/1", {"action": "mask"}),
    ("DELETE", "/moderation/terms/1", None),
    ("GET", "/moderation/allow", None),
    ("POST", "/moderation/allow", {"phrase": "Scunthorpe"}),
    ("DELETE", "/moderation/allow/1", None),
    ("POST", "/moderation/test", {"text": "hello"}),
    ("GET", "/moderation/status", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
async def test_only_moderators_and_admins_may_use_the_console(
    api: Api, container: Container, moderator: User, user: User, method: str, path: str, body: Any
) -> None:
    r = await api.client.post(
        "/moderation/terms",
        headers=moderator.headers,
        json={"term": "casino", "category": "gambling", "action": "block"},
    )
    assert r.status_code == 201
    before = await lists_snapshot(api, moderator)
    r = await api.client.request(method, path, json=body, headers=user.headers)
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert kind(r.json()) == "forbidden"
    r = await api.client.request(method, path, json=body)
    assert r.status_code == 401
    assert await lists_snapshot(api, moderator) == before


async def test_terms_are_listed_changed_and_removed_with_an_audit_trail(
    api: Api, container: Container, moderator: User
) -> None:
    h = moderator.headers
    r = await api.client.post(
        "/moderation/terms",
        headers=h,
        json={"term": " Scam ", "category": "Fraud", "action": "mask", "whole_word": True},
    )
    assert r.status_code == 201, r.text
    term = r.json()
    assert (term["term"], term["norm"], term["category"], term["whole_word"]) == (
        "Scam",
        "scam",
        "fraud",
        True,
    )
    assert term["created_by"] == moderator.id
    r = await api.client.post("/moderation/test", headers=h, json={"text": "a s.c.a.m, not scampi"})
    body = r.json()
    assert (body["outcome"], body["category"], body["text"]) == (
        "mask",
        "fraud",
        "a *******, not scampi",
    )
    assert body["matches"][0] | {"term_id": 0} == {
        "term_id": 0,
        "term": "Scam",
        "category": "fraud",
        "action": "mask",
        "whole_word": True,
        "start": 2,
        "end": 9,
        "text": "s.c.a.m",
    }
    r = await api.client.patch(
        f"/moderation/terms/{term['id']}", headers=h, json={"action": "block"}
    )
    assert r.json()["action"] == "block"
    r = await api.client.post("/moderation/test", headers=h, json={"text": "SCAM!"})
    assert (r.json()["outcome"], r.json()["text"]) == ("block", "SCAM!")
    assert (
        await api.client.delete(f"/moderation/terms/{term['id']}", headers=h)
    ).status_code == 204
    r = await api.client.post("/moderation/test", headers=h, json={"text": "SCAM!"})
    assert r.json()["outcome"] == "allow"
    assert (
        await api.client.delete(f"/moderation/terms/{term['id']}", headers=h)
    ).status_code == 404
    async with container.db.read() as s:
        actions = (await s.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert actions == ["term.create", "term.update", "term.delete"]


async def test_allow_list_suppresses_false_positives(api: Api, moderator: User) -> None:
    h = moderator.headers
    await api.client.post(
        "/moderation/terms", headers=h, json={"term": "cunt", "category": "abuse", "action": "mask"}
    )
    r = await api.client.post("/moderation/test", headers=h, json={"text": "Scunthorpe"})
    assert r.json()["text"] == "S****horpe"
    r = await api.client.post("/moderation/allow", headers=h, json={"phrase": "Scunthorpe"})
    assert r.status_code == 201
    allow_id = r.json()["id"]
    r = await api.client.post("/moderation/test", headers=h, json={"text": "Scunthorpe"})
    assert (r.json()["outcome"], r.json()["text"]) == ("allow", "Scunthorpe")
    r = await api.client.post("/moderation/allow", headers=h, json={"phrase": "SCUNTHORPE"})
    assert r.status_code == 409
    assert (await api.client.delete(f"/moderation/allow/{allow_id}", headers=h)).status_code == 204
    r = await api.client.post("/moderation/test", headers=h, json={"text": "Scunthorpe"})
    assert r.json()["outcome"] == "mask"


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ({"term": "", "category": "x", "action": "block"}, "term", "invalid-term"),
        ({"term": "   ", "category": "x", "action": "block"}, "term", "invalid-term"),
        ({"term": "x" * 100_000, "category": "x", "action": "block"}, "term", "invalid-term"),
        ({"term": "...", "category": "x", "action": "block"}, "term", "invalid-term"),
        ({"term": "\u200b\u200d", "category": "x", "action": "block"}, "term", "invalid-term"),
        ({"term": "cas.*no", "category": "x", "action": "block"}, "term", "invalid-term"),
        ({"term": "(a|b)+", "category": "x", "action": "block"}, "term", "invalid-term"),
        ({"term": "q", "category": "x", "action": "block"}, "term", "invalid-term"),
        (
            {"term": "赌博", "category": "x", "action": "block", "whole_word": True},
            "term",
            "invalid-term",
        ),
        ({"term": "ok", "category": "Not A Slug!", "action": "block"}, "category", "invalid-input"),
        ({"term": "ok", "category": "x", "action": "delete"}, "action", "invalid-input"),
        ({"term": "ok", "category": "x", "action": "block", "extra": 1}, "extra", "invalid-input"),
        ({"term": ["ok"], "category": "x", "action": "block"}, "term", "invalid-input"),
    ],
)
async def test_bad_terms_are_typed_422s_and_change_nothing(
    api: Api, container: Container, moderator: User, body: dict[str, Any], field: str, problem: str
) -> None:
    before = await lists_snapshot(api, moderator)
    r = await api.client.post("/moderation/terms", headers=moderator.headers, json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert kind(r.json()) == problem
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert await lists_snapshot(api, moderator) == before
    async with container.db.read() as s:
        assert await s.scalar(select(func.count()).select_from(AuditEntry)) == 0


async def test_duplicate_spellings_conflict(api: Api, moderator: User) -> None:
    h = moderator.headers
    r = await api.client.post(
        "/moderation/terms",
        headers=h,
        json={"term": "赌博", "category": "gambling", "action": "block"},
    )
    assert r.status_code == 201
    before = await lists_snapshot(api, moderator)
    r = await api.client.post(
        "/moderation/terms", headers=h, json={"term": "赌 · 博", "category": "x", "action": "mask"}
    )
    assert r.status_code == 409
    assert r.json()["errors"] == [{"field": "term", "message": "already listed"}]
    assert await lists_snapshot(api, moderator) == before


async def test_import_is_all_or_nothing(api: Api, moderator: User) -> None:
    h = moderator.headers
    good = [{"term": f"spamword{i}", "category": "spam", "action": "mask"} for i in range(50)]
    before = await lists_snapshot(api, moderator)
    bad = [*good, {"term": "", "category": "spam", "action": "mask"}]
    r = await api.client.post("/moderation/terms/import", headers=h, json={"terms": bad})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "terms.50.term"
    dup = [*good, {"term": "SPAMWORD3", "category": "spam", "action": "block"}]
    r = await api.client.post("/moderation/terms/import", headers=h, json={"terms": dup})
    assert r.status_code == 422
    assert await lists_snapshot(api, moderator) == before
    r = await api.client.post("/moderation/terms/import", headers=h, json={"terms": good})
    assert r.status_code == 201
    assert len(r.json()) == 50
    version, terms, _ = await lists_snapshot(api, moderator)
    assert version == before[0] + 1  # one change, one version
    assert len(terms) == 50
    r = await api.client.post("/moderation/test", headers=h, json={"text": "s p a m w o r d 7"})
    assert r.json()["outcome"] == "mask"


async def test_terms_are_paged_and_filtered(api: Api, moderator: User) -> None:
    h = moderator.headers
    items = [
        {"term": f"word{i:03}", "category": "a" if i % 2 else "b", "action": "mask"}
        for i in range(25)
    ]
    await api.client.post("/moderation/terms/import", headers=h, json={"terms": items})
    seen: list[str] = []
    after = 0
    while True:
        r = await api.client.get(f"/moderation/terms?limit=10&after={after}", headers=h)
        page = r.json()
        seen += [t["term"] for t in page["terms"]]
        if page["next_cursor"] is None:
            break
        after = page["next_cursor"]
    assert seen == [i["term"] for i in items]
    r = await api.client.get("/moderation/terms?category=a&q=WORD01", headers=h)
    assert [t["term"] for t in r.json()["terms"]] == [
        "word011",
        "word013",
        "word015",
        "word017",
        "word019",
    ]
    r = await api.client.get("/moderation/terms?limit=0", headers=h)
    assert r.status_code == 422


async def test_the_test_box_refuses_enormous_text_without_reading_it(
    api: Api, moderator: User
) -> None:
    h = moderator.headers
    r = await api.client.post(
        "/moderation/test", headers=h, json={"text": "赌" * (10 * 1024 * 1024)}
    )
    assert r.status_code == 413
    assert kind(r.json()) == "payload-too-large"
    r = await api.client.post("/moderation/test", headers=h, json={"text": "x" * 10_001})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "text"
    for junk in [b"", b"{", b"[]", b'{"text": 5}', b"\xff\xfe", b'{"text": "a", "b": 1}']:
        r = await api.client.post(
            "/moderation/test", headers={**h, "content-type": "application/json"}, content=junk
        )
        assert r.status_code == 422, junk
        assert r.headers["content-type"] == "application/problem+json"

    async def chunks() -> Any:
        for _ in range(200):
            yield b"x" * 1024

    # Streamed without a length: cut off as soon as it passes the limit.
    r = await api.client.post("/moderation/test", headers=h, content=chunks())
    assert r.status_code == 413


async def test_concurrent_adds_of_one_term_list_it_once(
    api: Api, container: Container, moderator: User
) -> None:
    async def add(spelling: str) -> int:
        r = await api.client.post(
            "/moderation/terms",
            headers=moderator.headers,
            json={"term": spelling, "category": "gambling", "action": "block"},
        )
        return r.status_code

    spellings = ["casino", "CASINO", "ｃａｓｉｎｏ", "c.a.s.i.n.o", "Casino"] * 4
    codes = await asyncio.gather(*(add(s) for s in spellings))
    assert sorted(codes) == [201] + [409] * (len(spellings) - 1)
    version, terms, _ = await lists_snapshot(api, moderator)
    assert len(terms) == 1
    assert version == 1
    status = (await api.client.get("/moderation/status", headers=moderator.headers)).json()
    assert (status["version"], status["loaded_version"], status["terms"]) == (1, 1, 1)


async def test_admins_may_use_the_console_too(api: Api, container: Container) -> None:
    from tests.moderation.conftest import make_staff

    admin = await make_staff(api, container, role="admin")
    r = await api.client.get("/moderation/terms", headers=admin.headers)
    assert r.status_code == 200
