"""Group chats: roles, membership changes as in-chat notices, limits under concurrency."""

from __future__ import annotations

import asyncio

import pytest

from tests.chat.util import group, ptype, said, say
from tests.contacts.util import befriend
from tests.helpers import Api, User


async def _members(api: Api, user: User, chat: int) -> dict[int, str]:
    r = await api.client.get(f"/chats/{chat}/members", headers=user.headers)
    assert r.status_code == 200, r.text
    return {m["user"]["id"]: m["role"] for m in r.json()}


async def _friends_of(api: Api, owner: User, n: int) -> list[User]:
    users = [await api.register() for _ in range(n)]
    for u in users:
        await befriend(api, owner, u)
    return users


async def test_group_lifecycle_with_notices_everyone_sees(api: Api) -> None:
    owner = await api.register()
    a, b, c = await _friends_of(api, owner, 3)
    chat = await group(api, owner, [a, b])
    assert await _members(api, a, chat) == {owner.id: "owner", a.id: "member", b.id: "member"}
    r = await api.client.post(
        f"/chats/{chat}/members", headers=owner.headers, json={"user_ids": [c.id]}
    )
    assert r.status_code == 200
    assert r.json()["member_count"] == 4
    # c sees the notice of their own arrival but nothing from before.
    history = (await api.client.get(f"/chats/{chat}/messages", headers=c.headers)).json()
    assert [m["body"]["event"] for m in history] == ["joined"]
    await said(api, a, chat, "hello all")
    # Only the owner appoints admins; an admin removes members but not the owner.
    r = await api.client.post(
        f"/chats/{chat}/admins", headers=a.headers, json={"user_id": b.id, "admin": True}
    )
    assert r.status_code == 403
    r = await api.client.post(
        f"/chats/{chat}/admins", headers=owner.headers, json={"user_id": a.id, "admin": True}
    )
    assert r.status_code == 204
    assert (
        await api.client.delete(f"/chats/{chat}/members/{owner.id}", headers=a.headers)
    ).status_code == 403
    assert (
        await api.client.delete(f"/chats/{chat}/members/{c.id}", headers=a.headers)
    ).status_code == 204
    assert (await say(api, c, chat, "still here?")).status_code == 403
    assert c.id not in await _members(api, a, chat)
    # The owner leaves: ownership passes to the admin.
    assert (await api.client.post(f"/chats/{chat}/leave", headers=owner.headers)).status_code == 204
    roles = await _members(api, b, chat)
    assert roles == {a.id: "owner", b.id: "member"}
    events = [
        m["body"]["event"]
        for m in (await api.client.get(f"/chats/{chat}/messages", headers=b.headers)).json()
        if m["kind"] == "system"
    ]
    assert events == ["created", "joined", "admin", "removed", "left"]


async def test_group_settings_mute_all_announcement_and_mentions(api: Api) -> None:
    owner = await api.register()
    a, b = await _friends_of(api, owner, 2)
    chat = await group(api, owner, [a, b])
    r = await api.client.patch(f"/chats/{chat}", headers=a.headers, json={"announcement": "x"})
    assert r.status_code == 403
    r = await api.client.patch(f"/chats/{chat}", headers=a.headers, json={"name": "Tea club"})
    assert r.json()["name"] == "Tea club"
    r = await api.client.patch(
        f"/chats/{chat}",
        headers=owner.headers,
        json={"announcement": "Meet at 8", "mute_all": True},
    )
    assert (r.json()["announcement"], r.json()["mute_all"]) == ("Meet at 8", True)
    assert (await say(api, a, chat, "can I talk?")).status_code == 403
    m = await said(api, owner, chat, "@all listen", mention_all=True)
    assert m["mention_all"] is True
    await api.client.patch(f"/chats/{chat}", headers=owner.headers, json={"mute_all": False})
    r = await say(api, a, chat, "@all me too", mention_all=True)
    assert r.status_code == 403
    async with api.socket(b, since=0) as sock:
        await sock.ready()
        m = await said(api, a, chat, "@b look", mentions=[b.id])
        [event] = await sock.events(1)
        assert event["payload"]["mentions"] == [b.id]
    stranger = await api.register()
    r = await say(api, a, chat, "hey", mentions=[stranger.id])
    assert r.status_code == 422


# Acceptance past 3 members, at most 5 (instead of 40 and 500).
@pytest.mark.settings(chat_approval_over=3, chat_max_group=5)
async def test_large_groups_need_acceptance_and_never_exceed_the_limit(api: Api) -> None:
    owner = await api.register()
    friends = await _friends_of(api, owner, 6)
    chat = await group(api, owner, friends[:2])  # 3 members
    r = await api.client.post(
        f"/chats/{chat}/members",
        headers=owner.headers,
        json={"user_ids": [u.id for u in friends[2:5]]},
    )
    assert r.status_code == 200
    assert r.json()["member_count"] == 3  # invited, not yet in
    invited = friends[2:5]
    assert (await say(api, invited[0], chat, "am I in?")).status_code == 404
    # Three accept at once; only two places remain.
    replies = await asyncio.gather(
        *(api.client.post(f"/chats/{chat}/accept", headers=u.headers) for u in invited)
    )
    codes = sorted(r.status_code for r in replies)
    assert codes == [200, 200, 409]
    assert [ptype(r) for r in replies if r.status_code == 409] == ["group-full"]
    info = (await api.client.get(f"/chats/{chat}", headers=owner.headers)).json()
    assert info["member_count"] == 5
    assert len(await _members(api, owner, chat)) == 5


async def test_join_by_group_qr_code_and_expiry(api: Api, clock: object) -> None:
    owner = await api.register()
    [a] = await _friends_of(api, owner, 1)
    chat = await group(api, owner, [a])
    r = await api.client.post(f"/chats/{chat}/qr", headers=owner.headers)
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    newcomer = await api.register()
    seen = (await api.client.get(f"/api/qr/{token}", headers=newcomer.headers)).json()
    assert (seen["kind"], seen["group_id"], seen["is_member"]) == ("g", chat, False)
    r = await api.client.post("/chats/join", headers=newcomer.headers, json={"token": token})
    assert r.status_code == 200, r.text
    assert newcomer.id in await _members(api, owner, chat)
    late = await api.register()
    clock.advance(days=7, seconds=1)  # type: ignore[attr-defined]
    r = await api.client.post("/chats/join", headers=late.headers, json={"token": token})
    assert r.status_code == 410
    assert late.id not in await _members(api, owner, chat)


async def test_admins_remove_members_messages(api: Api) -> None:
    owner = await api.register()
    a, b = await _friends_of(api, owner, 2)
    chat = await group(api, owner, [a, b])
    spam = await said(api, a, chat, "buy cheap watches")
    assert (
        await api.client.post(f"/chats/{chat}/messages/{spam['seq']}/recall", headers=b.headers)
    ).status_code == 403
    r = await api.client.post(f"/chats/{chat}/messages/{spam['seq']}/recall", headers=owner.headers)
    assert r.status_code == 200
    assert r.json()["recalled_by"] == owner.id


async def test_group_members_must_be_friends_of_the_inviter(api: Api) -> None:
    owner = await api.register()
    [a] = await _friends_of(api, owner, 1)
    stranger = await api.register()
    r = await api.client.post(
        "/chats/groups",
        headers=owner.headers,
        json={"name": "x", "member_ids": [a.id, stranger.id]},
    )
    assert r.status_code == 403
    assert (await api.client.get("/chats", headers=a.headers)).json() == []


async def test_group_photo_is_set_by_owner_and_admins_only(api: Api) -> None:
    import io

    from PIL import Image

    owner = await api.register()
    [a] = await _friends_of(api, owner, 1)
    chat = await group(api, owner, [a])
    buf = io.BytesIO()
    Image.new("RGB", (600, 400), (10, 160, 90)).save(buf, "PNG")
    files = {"file": ("g.png", buf.getvalue(), "image/png")}
    r = await api.client.put(f"/chats/{chat}/avatar", headers=a.headers, files=files)
    assert r.status_code == 403
    r = await api.client.put(f"/chats/{chat}/avatar", headers=owner.headers, files=files)
    assert r.status_code == 200, r.text
    url = r.json()["avatar_url"]
    assert (await api.client.get(url)).headers["content-type"] == "image/jpeg"
    assert (await api.client.get(f"/chats/{chat}", headers=a.headers)).json()["avatar_url"] == url
    bad = {"file": ("g.png", b"not an image", "image/png")}
    r = await api.client.put(f"/chats/{chat}/avatar", headers=owner.headers, files=bad)
    assert r.status_code == 415
