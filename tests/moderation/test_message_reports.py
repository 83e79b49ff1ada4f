"""Chat messages as a report source: the reporter's copy, who may report, removal for everyone."""

from __future__ import annotations

from typing import Any

from hutong.app import Container
from tests.chat.util import direct, friends, group, said
from tests.helpers import Api, User
from tests.moderation.conftest import make_staff
from tests.moderation.test_cases import decide, events, kind, queue, report


async def history(api: Api, who: User, chat_id: int) -> list[dict[str, Any]]:
    r = await api.client.get(f"/chats/{chat_id}/messages", headers=who.headers)
    assert r.status_code == 200, r.text
    return list(r.json())


async def test_a_member_reports_a_message_and_the_case_keeps_their_copy(
    api: Api, moderator: User
) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    msg = await said(api, bob, chat, "send me your bank PIN or else")
    r = await report(api, alice, f"{chat}:{msg['seq']}", kind_="message", note="threat")
    assert r.status_code == 201, r.text
    assert (r.json()["kind"], r.json()["ref"]) == ("message", f"{chat}:{msg['seq']}")
    [case] = await queue(api, moderator)
    assert (case["kind"], case["subject_user_id"]) == ("message", bob.id)
    assert case["snapshot"]["text"] == "send me your bank PIN or else"
    context = case["snapshot"]["context"]
    assert (context["chat_id"], context["seq"], context["chat_kind"]) == (
        chat,
        msg["seq"],
        "direct",
    )
    assert context["body"] == {"text": "send me your bank PIN or else"}
    detail = await api.client.get(f"/moderation/cases/{case['id']}", headers=moderator.headers)
    [copy] = detail.json()["reports"]
    assert (copy["reporter_id"], copy["note"]) == (alice.id, "threat")
    assert copy["snapshot"]["text"] == "send me your bank PIN or else"
    # Reporting one's own message is refused like reporting oneself.
    mine = await said(api, alice, chat, "hello")
    own = await report(api, alice, f"{chat}:{mine['seq']}", kind_="message")
    assert (own.status_code, kind(own)) == (422, "invalid-input")


async def test_only_someone_who_can_read_the_message_can_report_it(
    api: Api, moderator: User
) -> None:
    alice, bob, carol = await friends(api, 3)
    chat = await direct(api, alice, bob)
    msg = await said(api, bob, chat, "a private word")
    ref = f"{chat}:{msg['seq']}"
    stranger = await api.register()
    for who, target in [
        (stranger, ref),  # not in the chat
        (carol, ref),  # a friend of both, still not in the chat
        (alice, f"{chat}:{msg['seq'] + 5}"),  # no such message
        (alice, f"0{chat}:{msg['seq']}"),  # refs are canonical
        (alice, f"{chat}:-{msg['seq']}"),
        (alice, f"{chat}"),
        (alice, "x:y"),
    ]:
        r = await report(api, who, target, kind_="message")
        assert (r.status_code, kind(r)) == (404, "not-found"), (target, r.text)
    # A group member who joined later never saw what was said before.
    team = await group(api, alice, [bob])
    early = await said(api, bob, team, "before carol came")
    r = await api.client.post(
        f"/chats/{team}/members", headers=alice.headers, json={"user_ids": [carol.id]}
    )
    assert r.status_code < 300, r.text
    late = await report(api, carol, f"{team}:{early['seq']}", kind_="message")
    assert (late.status_code, kind(late)) == (404, "not-found")
    # Nor can anyone report a message its sender recalled.
    gone = await said(api, bob, chat, "oops")
    r = await api.client.post(f"/chats/{chat}/messages/{gone['seq']}/recall", headers=bob.headers)
    assert r.status_code == 200, r.text
    recalled = await report(api, alice, f"{chat}:{gone['seq']}", kind_="message")
    assert recalled.status_code == 404
    assert await queue(api, moderator) == []


async def test_removing_a_message_hides_it_from_everyone_and_tells_the_chat(
    api: Api, moderator: User
) -> None:
    alice, bob, carol = await friends(api, 3)
    team = await group(api, alice, [bob, carol])
    msg = await said(api, bob, team, "buy followers at scam dot example")
    after = await said(api, carol, team, "what?")
    before = await api.client.get("/chats/search?q=followers", headers=alice.headers)
    assert [h["message"]["seq"] for h in before.json()] == [msg["seq"]]
    case_id = (await report(api, carol, f"{team}:{msg['seq']}", kind_="message")).json()["case_id"]
    r = await decide(api, moderator, case_id, "remove", reason="Spam links.", category="spam")
    assert r.status_code == 200, r.text
    for who in (alice, bob, carol):
        rows = {m["seq"]: m for m in await history(api, who, team)}
        removed = rows[msg["seq"]]
        assert removed["recalled"] is True
        assert removed["body"] == {}
        assert rows[after["seq"]]["body"] == {"text": "what?"}  # the rest is untouched
        # The chat is told: a live recall, and a notice after the last message.
        recalls = await events(api, who, "chat.recall")
        assert {"chat_id": team, "seq": msg["seq"], "by": None, "moderated": True} in recalls
        notice = rows[max(rows)]
        assert notice["kind"] == "system"
        assert notice["body"]["event"] == "moderation_removed"
    # Search no longer finds it, and it cannot be reported again.
    for who in (alice, bob, carol):
        found = await api.client.get("/chats/search?q=followers", headers=who.headers)
        assert found.status_code == 200
        assert found.json() == []
    again = await report(api, alice, f"{team}:{msg['seq']}", kind_="message")
    assert again.status_code == 404
    # The sender is told what was removed and why.
    [notice] = await events(api, bob, "moderation.notice")
    assert (notice["action"], notice["rule"]) == ("remove", "spam")
    assert notice["content"] == {
        "kind": "message",
        "ref": f"{team}:{msg['seq']}",
        "text": "buy followers at scam dot example",
    }


async def test_notices_say_what_was_removed_with_an_excerpt(
    api: Api, container: Container, moderator: User
) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    long = "Cheap watches! " * 20  # 300 characters
    msg = await said(api, bob, chat, long.strip())
    ref = f"{chat}:{msg['seq']}"
    case_id = (await report(api, alice, ref, kind_="message", reason="spam")).json()["case_id"]
    r = await decide(api, moderator, case_id, "remove", reason="Advertising.", category="spam")
    assert r.status_code == 200, r.text
    [notice] = (await api.client.get("/me/moderation", headers=bob.headers)).json()
    assert (notice["kind"], notice["content_kind"], notice["content_ref"]) == (
        "remove",
        "message",
        ref,
    )
    assert len(notice["excerpt"]) == 140
    assert notice["excerpt"].startswith("Cheap watches! Cheap watches!")
    assert notice["excerpt"].endswith("…")
    # The reporter is told nothing about it; the appeal shows the moderator the same excerpt.
    assert (await api.client.get("/me/moderation", headers=alice.headers)).json() == []
    appeal = await api.client.post(
        f"/me/moderation/{notice['id']}/appeal", headers=bob.headers, json={"text": "It's a joke"}
    )
    assert appeal.status_code == 201, appeal.text
    assert appeal.json()["sanction"]["excerpt"] == notice["excerpt"]
    second = await make_staff(api, container)
    [listed] = (await api.client.get("/moderation/appeals", headers=second.headers)).json()
    assert listed["sanction"]["content_kind"] == "message"
    assert listed["sanction"]["excerpt"] == notice["excerpt"]
    # A sanction on a person, not a piece of content, names the person's profile instead.
    await api.client.patch("/me", headers=bob.headers, json={"bio": "short bio"})
    case_id = (await report(api, alice, str(bob.id))).json()["case_id"]
    await decide(api, moderator, case_id, "warn", reason="Rude.")
    newest = (await api.client.get("/me/moderation", headers=bob.headers)).json()[0]
    assert (newest["kind"], newest["content_kind"], newest["content_ref"]) == (
        "warn",
        "user",
        str(bob.id),
    )
    assert newest["excerpt"].endswith("short bio")
