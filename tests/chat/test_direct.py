"""Direct chats: friends only, idempotent sends, recall, read markers, settings, search."""

from __future__ import annotations

import asyncio

from hutong.core.clock import ManualClock
from tests.chat.util import cid, direct, friends, ptype, said, say
from tests.helpers import Api, User


async def test_friends_chat_and_each_device_gets_every_message_once_in_order(api: Api) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    assert await direct(api, bob, alice) == chat  # one chat per pair
    async with api.socket(bob) as sock:
        await sock.ready()
        for i in range(5):
            await said(api, alice if i % 2 else bob, chat, f"msg {i} 你好 🎉")
        events = [e for e in await sock.events(5) if e["kind"] == "chat.message"]
        assert [e["payload"]["body"]["text"] for e in events] == [
            f"msg {i} 你好 🎉" for i in range(5)
        ]
        assert [e["payload"]["seq"] for e in events] == [1, 2, 3, 4, 5]
    # The same messages come back from /sync (stored once, expanded from pointers).
    page = (await api.client.get("/sync", headers=alice.headers)).json()["events"]
    texts = [e["payload"]["body"]["text"] for e in page if e["kind"] == "chat.message"]
    assert texts == [f"msg {i} 你好 🎉" for i in range(5)]


async def test_non_friends_and_strangers_cannot_send_or_read(api: Api) -> None:
    alice, bob = await friends(api, 2)
    mallory = await api.register()
    r = await api.client.post("/chats/direct", headers=mallory.headers, json={"user_id": alice.id})
    assert r.status_code == 403
    assert ptype(r) == "not-friends"
    chat = await direct(api, alice, bob)
    await said(api, alice, chat, "private")
    assert (await say(api, mallory, chat, "let me in")).status_code == 404
    for path in (f"/chats/{chat}", f"/chats/{chat}/messages", f"/chats/{chat}/members"):
        assert (await api.client.get(path, headers=mallory.headers)).status_code == 404
    hits = (await api.client.get("/chats/search?q=private", headers=mallory.headers)).json()
    assert hits == []
    events = (await api.client.get("/sync", headers=mallory.headers)).json()["events"]
    assert all(e["kind"] != "chat.message" for e in events)


async def test_unfriended_or_blocked_peer_cannot_message(api: Api) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    await said(api, bob, chat, "hi")
    r = await api.client.put(f"/contacts/blocks/{bob.id}", headers=alice.headers)
    assert r.status_code in {200, 201}, r.text
    r = await say(api, bob, chat, "are you there?")
    assert r.status_code == 403
    history = (await api.client.get(f"/chats/{chat}/messages", headers=alice.headers)).json()
    assert [m["body"]["text"] for m in history] == ["hi"]


async def test_resending_the_same_client_id_never_doubles(api: Api) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    body = {"client_id": "retry-1", "kind": "text", "text": "only once"}
    replies = await asyncio.gather(
        *(
            api.client.post(f"/chats/{chat}/messages", headers=alice.headers, json=body)
            for _ in range(8)
        )
    )
    assert {r.status_code for r in replies} == {201}
    assert len({r.json()["seq"] for r in replies}) == 1
    history = (await api.client.get(f"/chats/{chat}/messages", headers=bob.headers)).json()
    assert [m["body"]["text"] for m in history] == ["only once"]


async def test_concurrent_senders_get_a_gapless_sequence(api: Api) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    replies = await asyncio.gather(
        *(say(api, alice if i % 2 else bob, chat, f"m{i}") for i in range(40))
    )
    assert [r.status_code for r in replies] == [201] * 40, [r.text for r in replies][:3]
    history = (
        await api.client.get(f"/chats/{chat}/messages?limit=100", headers=bob.headers)
    ).json()
    assert [m["seq"] for m in history] == list(range(1, 41))


async def test_one_batch_refuses_only_those_who_may_not_send(api: Api) -> None:
    """Sends that arrive together share a write; each is still judged alone: a blocked
    sender, an ex-friend and a stranger are refused while everyone else's messages land, in
    order, in their own chats."""
    hub, *others = await friends(api, 7)
    chats = [await direct(api, hub, o) for o in others]
    blocker, unfriended = others[0], others[1]
    r = await api.client.put(f"/contacts/blocks/{hub.id}", headers=blocker.headers)
    assert r.status_code == 200, r.text
    r = await api.client.delete(f"/contacts/friends/{unfriended.id}", headers=hub.headers)
    assert r.status_code in {200, 204}, r.text
    stranger = await api.register()
    replies = await asyncio.gather(
        *(say(api, hub, chat, f"to {i}-{n}") for n in range(5) for i, chat in enumerate(chats)),
        *(say(api, stranger, chat, "let me in") for chat in chats),
    )
    codes = [r.status_code for r in replies]
    mine, theirs = codes[: 5 * len(chats)], codes[5 * len(chats) :]
    for n in range(5):
        row = mine[n * len(chats) : (n + 1) * len(chats)]
        assert ptype(replies[n * len(chats)]) == "blocked"
        assert ptype(replies[n * len(chats) + 1]) == "not-friends"
        assert row[:2] == [403, 403]
        assert row[2:] == [201] * (len(chats) - 2)
    assert set(theirs) == {404}
    for i, chat in enumerate(chats[2:], start=2):
        history = (await api.client.get(f"/chats/{chat}/messages", headers=hub.headers)).json()
        assert [m["seq"] for m in history] == [1, 2, 3, 4, 5]
        assert sorted(m["body"]["text"] for m in history) == [f"to {i}-{n}" for n in range(5)]
    for chat in chats[:2]:
        history = (await api.client.get(f"/chats/{chat}/messages", headers=hub.headers)).json()
        assert history == []


async def test_bad_messages_are_typed_errors_and_change_nothing(api: Api) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    bad = [
        {"client_id": cid(), "kind": "text", "text": "x" * 5001},
        {"client_id": cid(), "kind": "text", "text": "   "},
        {"client_id": cid(), "kind": "image", "media_id": "0" * 64},
        {"client_id": cid(), "kind": "voice"},
        {"client_id": cid(), "kind": "location", "lat": 200, "lng": 0},
        {"client_id": cid(), "kind": "card", "user_id": 999999},
        {"client_id": cid(), "kind": "system", "text": "fake notice"},
        {"client_id": cid(), "kind": "red_envelope"},
        {"client_id": "bad id!", "kind": "text", "text": "x"},
        {"client_id": cid(), "kind": "text", "text": "hi", "mention_all": True},
        {"client_id": cid(), "kind": "text", "text": "hi", "mentions": [bob.id]},
    ]
    for body in bad:
        r = await api.client.post(f"/chats/{chat}/messages", headers=alice.headers, json=body)
        assert 400 <= r.status_code < 500, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    assert (await api.client.get(f"/chats/{chat}/messages", headers=bob.headers)).json() == []
    assert (
        await api.client.post(
            "/chats/999999/messages",
            headers=alice.headers,
            json={"client_id": cid(), "kind": "text", "text": "x"},
        )
    ).status_code == 404


async def test_recall_within_two_minutes_removes_the_content_for_everyone(
    api: Api, clock: ManualClock
) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    m = await said(api, alice, chat, "oops, wrong chat")
    async with api.socket(bob, since=0) as sock:
        await sock.ready()
        assert (
            await api.client.post(f"/chats/{chat}/messages/{m['seq']}/recall", headers=bob.headers)
        ).status_code == 403
        r = await api.client.post(
            f"/chats/{chat}/messages/{m['seq']}/recall", headers=alice.headers
        )
        assert r.status_code == 200
        [event] = await sock.events(1)
        assert (event["kind"], event["payload"]) == (
            "chat.recall",
            {"chat_id": chat, "seq": m["seq"], "by": alice.id},
        )
    history = (await api.client.get(f"/chats/{chat}/messages", headers=bob.headers)).json()
    assert history[0]["recalled"] is True
    assert history[0]["body"] == {}
    # A device syncing later sees the recalled state, not the text.
    page = (await api.client.get("/sync", headers=bob.headers)).json()["events"]
    assert "wrong chat" not in str(page)
    assert (await api.client.get("/chats/search?q=wrong", headers=alice.headers)).json() == []
    late = await said(api, alice, chat, "too late to take back")
    clock.advance(seconds=121)
    r = await api.client.post(f"/chats/{chat}/messages/{late['seq']}/recall", headers=alice.headers)
    assert r.status_code == 410


async def test_read_markers_unread_counts_and_settings_sync_across_devices(api: Api) -> None:
    alice, bob = await friends(api, 2)
    bob_laptop = await api.token(bob.handle)
    chat = await direct(api, alice, bob)
    for i in range(3):
        await said(api, alice, chat, f"unread {i}")
    [entry] = (await api.client.get("/chats", headers=bob.headers)).json()
    assert (entry["unread"], entry["peer"]["id"], entry["last_message"]["body"]["text"]) == (
        3,
        alice.id,
        "unread 2",
    )
    async with api.socket(bob_laptop, since=0) as sock:
        await sock.ready()
        r = await api.client.post(f"/chats/{chat}/read", headers=bob.headers, json={"seq": 2})
        assert r.json() == {"read_seq": 2}
        [event] = await sock.events(1)
        assert (event["kind"], event["payload"]) == ("chat.read", {"chat_id": chat, "seq": 2})
        # Markers never move back.
        r = await api.client.post(f"/chats/{chat}/read", headers=bob.headers, json={"seq": 1})
        assert r.json() == {"read_seq": 2}
        r = await api.client.put(
            f"/chats/{chat}/settings", headers=bob.headers, json={"muted": True, "pinned": True}
        )
        assert (r.json()["muted"], r.json()["pinned"], r.json()["unread"]) == (True, True, 1)
        [event] = await sock.events(1)
        assert event["kind"] == "chat.settings"
    # Alice's own messages never count as unread for her.
    [mine] = (await api.client.get("/chats", headers=alice.headers)).json()
    assert mine["unread"] == 0


async def test_deleting_a_chat_hides_it_until_a_new_message(api: Api) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    await said(api, alice, chat, "old news")
    assert (await api.client.delete(f"/chats/{chat}", headers=bob.headers)).status_code == 204
    [entry] = (await api.client.get("/chats", headers=bob.headers)).json()
    assert entry["hidden"] is True
    assert (await api.client.get(f"/chats/{chat}/messages", headers=bob.headers)).json() == []
    await said(api, alice, chat, "fresh")
    [entry] = (await api.client.get("/chats", headers=bob.headers)).json()
    assert entry["hidden"] is False
    history = (await api.client.get(f"/chats/{chat}/messages", headers=bob.headers)).json()
    assert [m["body"]["text"] for m in history] == ["fresh"]
    alice_view = (await api.client.get(f"/chats/{chat}/messages", headers=alice.headers)).json()
    assert len(alice_view) == 2


async def test_search_finds_my_messages_including_cjk(api: Api) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    await said(api, alice, chat, "明天一起去北京烤鸭店吗")
    await said(api, bob, chat, "Sure, PEKING duck it is")
    hits = (await api.client.get("/chats/search?q=北京", headers=bob.headers)).json()
    assert [h["message"]["body"]["text"] for h in hits] == ["明天一起去北京烤鸭店吗"]
    hits = (await api.client.get("/chats/search?q=peking", headers=alice.headers)).json()
    assert len(hits) == 1
    hits = (await api.client.get("/chats/search?q=%25", headers=alice.headers)).json()
    assert hits == []


async def test_search_uses_the_substring_index_and_forgets_recalled_text(api: Api) -> None:
    """Three characters or more go through the index (FTS5 trigram / pg_trgm): CJK, mixed
    case, wildcard characters taken literally; recalled text and other people's chats are
    never found."""
    bob, alice, carol = await friends(api, 3)  # both friends with bob, not with each other
    chat = await direct(api, alice, bob)
    other = await direct(api, bob, carol)
    await said(api, alice, chat, "春节快乐，恭喜发财")
    await said(api, alice, chat, "50% off *today* [sale]")
    gone = await said(api, alice, chat, "secret plan for 春节快乐")
    await said(api, carol, other, "春节快乐 from carol")

    async def texts(who: User, q: str) -> list[str]:
        res = await api.client.get("/chats/search", params={"q": q}, headers=who.headers)
        assert res.status_code == 200, res.text
        return [h["message"]["body"]["text"] for h in res.json()]

    assert await texts(alice, "春节快乐") == ["secret plan for 春节快乐", "春节快乐，恭喜发财"]
    assert await texts(alice, "% OFF *TO") == ["50% off *today* [sale]"]
    assert await texts(alice, "[sale]") == ["50% off *today* [sale]"]
    assert await texts(alice, "0%*") == []
    recall = await api.client.post(
        f"/chats/{chat}/messages/{gone['seq']}/recall", headers=alice.headers
    )
    assert recall.status_code == 200, recall.text
    assert await texts(alice, "春节快乐") == ["春节快乐，恭喜发财"]
    assert await texts(alice, "secret plan") == []
    assert await texts(bob, "春节快乐") == ["春节快乐 from carol", "春节快乐，恭喜发财"]
    assert await texts(carol, "恭喜发财") == []
    long = await api.client.get("/chats/search", params={"q": "x" * 201}, headers=alice.headers)
    assert long.status_code == 422


async def test_typing_is_relayed_to_the_other_member_and_never_stored(api: Api) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    async with api.socket(alice) as a, api.socket(bob) as b:
        await a.ready()
        await b.ready()
        await a.ws.send(f'{{"type": "typing", "chat_id": {chat}}}')
        msg = await b.next()
        while msg.get("kind") == "presence":  # alice's arrival may come first
            msg = await b.next()
        assert msg == {
            "type": "ephemeral",
            "kind": "typing",
            "payload": {"chat_id": chat, "user_id": alice.id},
        }
        await a.ws.send('{"type": "typing", "chat_id": 999999}')
        msg = await a.next()
        while msg.get("kind") == "presence":
            msg = await a.next()
        assert msg["type"] == "error"
    events = (await api.client.get("/sync", headers=bob.headers)).json()["events"]
    assert all(e["kind"] != "typing" for e in events)


async def test_presence_is_announced_to_chat_partners_and_queryable(api: Api) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    async with api.socket(alice) as a:
        await a.ready()
        r = await api.client.get(f"/chats/{chat}/presence", headers=alice.headers)
        assert r.json() == {"online": [alice.id]}
        async with api.socket(bob) as b:
            await b.ready()
            assert await a.next() == {
                "type": "ephemeral",
                "kind": "presence",
                "payload": {"user_id": bob.id, "online": True},
            }
            r = await api.client.get(f"/chats/{chat}/presence", headers=alice.headers)
            assert r.json() == {"online": sorted([alice.id, bob.id])}
        assert await a.next() == {
            "type": "ephemeral",
            "kind": "presence",
            "payload": {"user_id": bob.id, "online": False},
        }
    stranger = await api.register()
    r = await api.client.get(f"/chats/{chat}/presence", headers=stranger.headers)
    assert r.status_code == 404
