"""Chat text goes through moderation: blocked words refuse the send, masked words are starred."""

from __future__ import annotations

from hutong.app import Container
from hutong.moderation.schemas import TermIn
from tests.chat.util import direct, friends, group, ptype, said, say
from tests.helpers import Api


async def _terms(container: Container) -> None:
    for term, category, action in [
        ("casino", "gambling", "block"),
        ("idiot", "abuse", "mask"),
        ("诈骗", "fraud", "review"),
    ]:
        await container.moderation.terms.add_term(
            0,
            TermIn(term=term, category=category, action=action),  # type: ignore[arg-type]
        )


async def test_messages_are_moderated_and_refusals_change_nothing(
    api: Api, container: Container
) -> None:
    await _terms(container)
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    r = await say(api, alice, chat, "join my c.a.s.i.n.o tonight")
    assert r.status_code == 422
    assert ptype(r) == "content-blocked"
    r = await say(api, alice, chat, "这是诈骗吗")
    assert ptype(r) == "content-needs-review"
    m = await said(api, alice, chat, "don't be an IDIOT")
    assert m["body"]["text"] == "don't be an *****"
    history = (await api.client.get(f"/chats/{chat}/messages", headers=bob.headers)).json()
    assert [h["body"]["text"] for h in history] == ["don't be an *****"]


async def test_group_names_and_announcements_are_moderated(api: Api, container: Container) -> None:
    await _terms(container)
    owner, a = await friends(api, 2)
    r = await api.client.post(
        "/chats/groups", headers=owner.headers, json={"name": "Casino club", "member_ids": [a.id]}
    )
    assert r.status_code == 422
    assert (await api.client.get("/chats", headers=a.headers)).json() == []
    chat = await group(api, owner, [a], name="Tea club")
    r = await api.client.patch(
        f"/chats/{chat}", headers=owner.headers, json={"announcement": "no idiots please"}
    )
    assert r.json()["announcement"] == "no *****s please"
