"""Reports, the queue, decisions, notices, appeals and the transparency page."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hutong.app import Container
from hutong.core.clock import ManualClock
from hutong.core.content import Outcome
from hutong.moderation.schemas import TermIn
from tests.helpers import PASSWORD, Api, User
from tests.microblog.util import post
from tests.moderation.conftest import make_staff


def kind(r: Any) -> str:
    return str(r.json()["type"]).rsplit("/", 1)[-1]


async def report(api: Api, who: User, target: str, *, kind_: str = "user", **kw: Any) -> Any:
    body = {"kind": kind_, "ref": target, "reason": "abuse", **kw}
    return await api.client.post("/reports", headers=who.headers, json=body)


async def queue(api: Api, staff: User, status: str = "open") -> list[dict[str, Any]]:
    r = await api.client.get(f"/moderation/queue?status={status}", headers=staff.headers)
    assert r.status_code == 200, r.text
    return list(r.json()["cases"])


async def events(api: Api, user: User, kind_: str) -> list[dict[str, Any]]:
    r = await api.client.get("/sync?since=0", headers=user.headers)
    return [e["payload"] for e in r.json()["events"] if e["kind"] == kind_]


async def decide(api: Api, staff: User, case_id: int, decision: str, **kw: Any) -> Any:
    await api.client.post(f"/moderation/cases/{case_id}/claim", headers=staff.headers)
    body = {"decision": decision, "reason": "Insults in the profile.", **kw}
    return await api.client.post(
        f"/moderation/cases/{case_id}/decide", headers=staff.headers, json=body
    )


async def test_reports_join_one_case_and_bad_reports_change_nothing(
    api: Api, container: Container, moderator: User
) -> None:
    a, b, c = await api.register(), await api.register(), await api.register()
    await api.client.patch("/me", headers=b.headers, json={"bio": "you are all fools"})
    r = await report(api, a, str(b.id), note="rude bio")
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    for bad, status, problem in [
        (await report(api, a, str(b.id)), 409, "conflict"),  # once per reporter
        (await report(api, a, str(a.id)), 422, "invalid-input"),  # not yourself
        (await report(api, a, "999999"), 404, "not-found"),
        (await report(api, a, "x" * 65), 422, "invalid-input"),
        (await report(api, a, str(b.id), reason="Not a slug!"), 422, "invalid-input"),
        (await report(api, a, "1", kind_="miniapp"), 422, "unsupported-content"),
        (await report(api, a, "1", kind_="planet"), 422, "invalid-input"),
    ]:
        assert (bad.status_code, kind(bad)) == (status, problem), bad.text
    joined = await report(api, c, f"00{b.id}", reason="spam")  # the same user, however written
    assert (joined.json()["case_id"], joined.json()["ref"]) == (case_id, str(b.id))
    cases = await queue(api, moderator)
    assert [(x["id"], x["report_count"], x["subject_user_id"]) for x in cases] == [
        (case_id, 2, b.id)
    ]
    detail = (
        await api.client.get(f"/moderation/cases/{case_id}", headers=moderator.headers)
    ).json()
    assert [r["reporter_id"] for r in detail["reports"]] == [a.id, c.id]
    assert detail["reports"][0]["snapshot"]["text"].endswith("you are all fools")
    assert detail["reports"][0]["note"] == "rude bio"


async def test_a_report_of_something_the_reporter_cannot_see_is_404(
    api: Api, moderator: User
) -> None:
    a, b = await api.register(), await api.register()
    hidden = await post(api, b, "friends-only post", visibility="friends")
    r = await report(api, a, str(hidden["id"]), kind_="post")
    assert r.status_code == 404
    assert await queue(api, moderator) == []


CONSOLE = [
    ("GET", "/moderation/queue", None),
    ("GET", "/moderation/cases/1", None),
    ("POST", "/moderation/cases/1/claim", None),
    ("POST", "/moderation/cases/1/decide", {"decision": "ban", "reason": "x"}),
    ("GET", "/moderation/appeals", None),
    ("POST", "/moderation/appeals/1/decide", {"grant": True, "reason": "x"}),
    ("GET", "/moderation/audit", None),
]


@pytest.mark.parametrize(("method", "path", "body"), CONSOLE)
async def test_the_queue_is_for_moderators_only(
    api: Api, moderator: User, method: str, path: str, body: Any
) -> None:
    a, b = await api.register(), await api.register()
    await report(api, a, str(b.id))
    before = await queue(api, moderator)
    r = await api.client.request(method, path, json=body, headers=b.headers)
    assert (r.status_code, kind(r)) == (403, "forbidden")
    assert await queue(api, moderator) == before
    assert (await api.client.get("/me", headers=b.headers)).status_code == 200


async def test_only_one_moderator_can_claim_a_case(
    api: Api, container: Container, moderator: User
) -> None:
    others = [await make_staff(api, container) for _ in range(4)]
    a, b = await api.register(), await api.register()
    case_id = (await report(api, a, str(b.id))).json()["case_id"]
    results = await asyncio.gather(
        *(
            api.client.post(f"/moderation/cases/{case_id}/claim", headers=m.headers)
            for m in [moderator, *others]
        )
    )
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409, 409]
    winner = next(m for m, r in zip([moderator, *others], results, strict=True) if r.is_success)
    loser = next(m for m in [moderator, *others] if m is not winner)
    r = await api.client.post(
        f"/moderation/cases/{case_id}/decide",
        headers=loser.headers,
        json={"decision": "warn", "reason": "x"},
    )
    assert r.status_code == 409
    assert (await queue(api, winner, "claimed"))[0]["claimed_by"] == winner.id


async def test_warn_notifies_the_user_who_appeals_once_to_a_second_moderator(
    api: Api, container: Container, moderator: User, clock: ManualClock
) -> None:
    second = await make_staff(api, container)
    a, b = await api.register(), await api.register()
    case_id = (await report(api, a, str(b.id))).json()["case_id"]
    r = await decide(api, moderator, case_id, "warn", days=3)
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "days")
    r = await decide(api, moderator, case_id, "warn", category="harassment")
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["decision"]) == ("decided", "warn")
    assert await queue(api, moderator) == []
    notice = (await events(api, b, "moderation.notice"))[0]
    assert (notice["action"], notice["rule"], notice["reason"]) == (
        "warn",
        "harassment",
        "Insults in the profile.",
    )
    mine = (await api.client.get("/me/moderation", headers=b.headers)).json()
    assert [(s["kind"], s["appeal_status"]) for s in mine] == [("warn", None)]
    sanction_id = mine[0]["id"]
    # Only the affected user appeals, once.
    r = await api.client.post(
        f"/me/moderation/{sanction_id}/appeal", headers=a.headers, json={"text": "me too"}
    )
    assert r.status_code == 404
    r = await api.client.post(
        f"/me/moderation/{sanction_id}/appeal", headers=b.headers, json={"text": "It was a joke."}
    )
    assert r.status_code == 201, r.text
    appeal_id = r.json()["id"]
    r = await api.client.post(
        f"/me/moderation/{sanction_id}/appeal", headers=b.headers, json={"text": "Again."}
    )
    assert r.status_code == 409
    # The moderator who decided may not judge the appeal.
    r = await api.client.post(
        f"/moderation/appeals/{appeal_id}/decide",
        headers=moderator.headers,
        json={"grant": False, "reason": "Stands."},
    )
    assert (r.status_code, kind(r)) == (403, "forbidden")
    r = await api.client.post(
        f"/moderation/appeals/{appeal_id}/decide",
        headers=second.headers,
        json={"grant": True, "reason": "Context shows a joke."},
    )
    assert r.status_code == 200
    assert r.json()["sanction"]["revoked_at"] is not None
    decided = (await events(api, b, "moderation.appeal_decided"))[0]
    assert (decided["granted"], decided["reason"]) == (True, "Context shows a joke.")
    r = await api.client.post(
        f"/moderation/appeals/{appeal_id}/decide",
        headers=second.headers,
        json={"grant": False, "reason": "changed my mind"},
    )
    assert r.status_code == 409
    # Audit: who, what, why, when.
    log = (await api.client.get("/moderation/audit", headers=second.headers)).json()
    assert [e["action"] for e in log][::-1] == [
        "report",
        "case.claim",
        "case.warn",
        "appeal",
        "appeal.granted",
    ]
    assert log[2]["reason"] == "Insults in the profile."
    assert log[2]["actor_id"] == moderator.id


async def test_appeals_close_after_twenty_days(
    api: Api, moderator: User, clock: ManualClock
) -> None:
    a, b = await api.register(), await api.register()
    case_id = (await report(api, a, str(b.id))).json()["case_id"]
    await decide(api, moderator, case_id, "warn")
    sanction_id = (await api.client.get("/me/moderation", headers=b.headers)).json()[0]["id"]
    clock.advance(days=21)
    r = await api.client.post(
        f"/me/moderation/{sanction_id}/appeal", headers=b.headers, json={"text": "late"}
    )
    assert (r.status_code, kind(r)) == (410, "expired")


async def test_mute_stops_posting_and_group_talk_for_n_days(
    api: Api, container: Container, moderator: User, clock: ManualClock
) -> None:
    a, b = await api.register(), await api.register()
    case_id = (await report(api, a, str(b.id))).json()["case_id"]
    r = await decide(api, moderator, case_id, "mute", days=3)
    assert r.status_code == 200, r.text
    check = container.moderation.policy.check
    for k in ("post", "comment", "group_message", "group_name"):
        verdict = await check(k, "hello", author_id=b.id)  # type: ignore[arg-type]
        assert (verdict.outcome, verdict.category) == (Outcome.BLOCK, "muted")
    assert (await check("message", "hi", author_id=b.id)).outcome is Outcome.ALLOW
    assert (await check("post", "hello", author_id=a.id)).outcome is Outcome.ALLOW
    notice = (await events(api, b, "moderation.notice"))[0]
    assert notice["ends_at"] is not None
    clock.advance(days=3, minutes=1)
    assert (await check("post", "hello", author_id=b.id)).outcome is Outcome.ALLOW


async def test_a_granted_appeal_lifts_a_mute_at_once(
    api: Api, container: Container, moderator: User
) -> None:
    second = await make_staff(api, container)
    a, b = await api.register(), await api.register()
    case_id = (await report(api, a, str(b.id))).json()["case_id"]
    await decide(api, moderator, case_id, "mute", days=30)
    check = container.moderation.policy.check
    assert (await check("post", "x", author_id=b.id)).outcome is Outcome.BLOCK
    sanction_id = (await api.client.get("/me/moderation", headers=b.headers)).json()[0]["id"]
    appeal = await api.client.post(
        f"/me/moderation/{sanction_id}/appeal", headers=b.headers, json={"text": "wrong person"}
    )
    await api.client.post(
        f"/moderation/appeals/{appeal.json()['id']}/decide",
        headers=second.headers,
        json={"grant": True, "reason": "Mistaken identity."},
    )
    assert (await check("post", "x", author_id=b.id)).outcome is Outcome.ALLOW


async def test_ban_signs_out_everywhere_and_refuses_sign_in(
    api: Api, container: Container, moderator: User
) -> None:
    a, b = await api.register(), await api.register()
    second_device = await api.token(b.handle)
    case_id = (await report(api, a, str(b.id))).json()["case_id"]
    r = await decide(api, moderator, case_id, "ban")
    assert r.status_code == 200, r.text
    for device in (b, second_device):
        assert (await api.client.get("/me", headers=device.headers)).status_code == 401
    r = await api.client.post("/auth/token", json={"handle": b.handle, "password": PASSWORD})
    assert (r.status_code, kind(r)) == (403, "forbidden")
    verdict = await container.moderation.policy.check("bio", "hello", author_id=b.id)
    assert (verdict.outcome, verdict.category) == (Outcome.BLOCK, "banned")
    assert (await api.client.get("/me", headers=a.headers)).status_code == 200


async def test_remove_takes_a_post_down_and_tells_its_author(api: Api, moderator: User) -> None:
    a, b = await api.register(), await api.register()
    pid = str((await post(api, b, "buy followers cheap"))["id"])
    case_id = (await report(api, a, pid, kind_="post", reason="spam")).json()["case_id"]
    r = await decide(api, moderator, case_id, "remove")
    assert r.status_code == 200, r.text
    assert (await api.client.get(f"/microblog/posts/{pid}", headers=a.headers)).status_code == 410
    notice = (await events(api, b, "moderation.notice"))[0]
    assert (notice["action"], notice["rule"]) == ("remove", "spam")
    assert notice["content"] == {"kind": "post", "ref": pid, "text": "buy followers cheap"}


async def test_a_held_post_appears_once_a_moderator_approves_it(
    api: Api, container: Container, moderator: User
) -> None:
    b, reader = await api.register(), await api.register()
    await container.moderation.terms.add_term(
        0, TermIn(term="诈骗", category="fraud", action="review")
    )
    held = await post(api, b, "小心诈骗电话")
    assert held["status"] == "held"
    path = f"/microblog/posts/{held['id']}"
    assert (await api.client.get(path, headers=reader.headers)).status_code == 404
    mine = await api.client.get(path, headers=b.headers)  # the author sees it, under review
    assert (mine.status_code, mine.json()["status"]) == (200, "held")
    r = await api.client.get("/moderation/queue?source=held", headers=moderator.headers)
    [case] = r.json()["cases"]
    assert (case["kind"], case["ref"], case["category"], case["snapshot"]["text"]) == (
        "post",
        str(held["id"]),
        "fraud",
        "小心诈骗电话",
    )
    r = await decide(api, moderator, case["id"], "approve")
    assert r.status_code == 200, r.text
    seen = await api.client.get(path, headers=reader.headers)
    assert (seen.status_code, seen.json()["status"]) == (200, "published")
    assert await events(api, b, "moderation.notice") == []  # approval is no sanction


async def test_removing_a_reported_comment_hides_it_and_tells_its_author(
    api: Api, moderator: User
) -> None:
    author, commenter, reader = [await api.register() for _ in range(3)]
    pid = (await post(api, author, "周末去哪儿"))["id"]
    r = await api.client.post(
        f"/microblog/posts/{pid}/comments", headers=commenter.headers, json={"text": "加我微信赚钱"}
    )
    assert r.status_code == 201, r.text
    cid = str(r.json()["id"])
    comments = f"/microblog/posts/{pid}/comments"
    r = await report(api, reader, cid, kind_="comment", reason="spam", note="an advert")
    assert r.status_code == 201, r.text
    detail = (
        await api.client.get(f"/moderation/cases/{r.json()['case_id']}", headers=moderator.headers)
    ).json()
    assert detail["subject_user_id"] == commenter.id
    assert detail["reports"][0]["snapshot"]["text"] == "加我微信赚钱"  # the reporter's copy
    r = await decide(api, moderator, detail["id"], "remove")
    assert r.status_code == 200, r.text
    for viewer in (reader, author, commenter):
        page = (await api.client.get(comments, headers=viewer.headers)).json()
        assert page["items"] == []
    got = (await api.client.get(f"/microblog/posts/{pid}", headers=reader.headers)).json()
    assert got["comments_count"] == 0
    again = await report(api, author, cid, kind_="comment")
    assert again.status_code == 404  # gone: nothing left to report
    [notice] = await events(api, commenter, "moderation.notice")
    assert (notice["action"], notice["rule"], notice["content"]) == (
        "remove",
        "spam",
        {"kind": "comment", "ref": cid, "text": "加我微信赚钱"},
    )
    mine = (await api.client.get("/me/moderation", headers=commenter.headers)).json()
    assert [(s["kind"], s["category"], s["appeal_status"]) for s in mine] == [
        ("remove", "spam", None)
    ]
    r = await api.client.post(
        f"/me/moderation/{mine[0]['id']}/appeal", headers=commenter.headers, json={"text": "ok"}
    )
    assert r.status_code == 201, r.text


async def test_transparency_page_is_public_and_aggregate(
    api: Api, moderator: User, clock: ManualClock
) -> None:
    a, b, c = await api.register(), await api.register(), await api.register()
    first = (await report(api, a, str(b.id))).json()["case_id"]
    await report(api, c, str(b.id), reason="spam")
    await decide(api, moderator, first, "warn")
    month = clock.now().strftime("%Y-%m")
    r = await api.client.get("/transparency")
    assert r.status_code == 200
    [page] = r.json()
    assert page["month"] == month
    assert {(x["action"], x["category"]): x["count"] for x in page["rows"]} == {
        ("report", "abuse"): 1,
        ("report", "spam"): 1,
        ("case.warn", "abuse"): 1,
    }
    assert "user_id" not in str(page)  # counts only, nobody named
    assert (await api.client.get("/transparency?month=1999-01")).json() == []
    assert (await api.client.get("/transparency?month=2026-13")).status_code == 422
