"""Contacts events reach the other user at once over the socket, and after a reconnect."""

from __future__ import annotations

from tests.contacts.util import MANY_REQUESTS, befriend, request
from tests.helpers import Api

pytestmark = MANY_REQUESTS


async def test_request_accept_and_removal_arrive_live(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    async with api.socket(alice, since=2) as a_sock, api.socket(bob, since=2) as b_sock:
        await a_sock.ready()
        await b_sock.ready()
        req = (await request(api, alice, bob, greeting="hello from alice")).json()
        [received] = await b_sock.events(1)
        assert received["kind"] == "contacts.request_received"
        assert received["payload"]["request"]["greeting"] == "hello from alice"
        [sent] = await a_sock.events(1)
        assert sent["kind"] == "contacts.request_sent"

        await api.client.post(f"/contacts/requests/{req['id']}/accept", headers=bob.headers)
        [accepted] = await a_sock.events(1)
        assert accepted["kind"] == "contacts.request_accepted"
        assert accepted["payload"]["request"]["to_user"]["id"] == bob.id
        assert (await b_sock.events(1))[0]["kind"] == "contacts.request_accepted"

        await api.client.delete(f"/contacts/friends/{alice.id}", headers=bob.headers)
        [removed] = await a_sock.events(1)
        assert removed["kind"] == "contacts.friend_removed"
        assert removed["payload"] == {"user_id": bob.id, "by": bob.id}


async def test_events_missed_while_offline_are_replayed_on_reconnect(api: Api) -> None:
    alice, bob, carol = await api.register(), await api.register(), await api.register()
    async with api.socket(bob, since=0) as sock:
        last = (await sock.ready())[-1]["seq"]
    # Bob is offline while these happen.
    await request(api, alice, bob, greeting="are you there?")
    await befriend(api, bob, carol)  # carol asks, bob accepts
    await api.client.delete(f"/contacts/friends/{bob.id}", headers=carol.headers)
    async with api.socket(bob, since=last) as sock:
        replay = [m for m in await sock.ready() if m["type"] == "event"]
    kinds = [m["kind"] for m in replay]
    assert kinds == [
        "contacts.request_received",
        "contacts.request_received",
        "contacts.request_accepted",
        "contacts.friend_removed",
    ]
    assert [m["seq"] for m in replay] == list(range(last + 1, last + 5))
    # The same through GET /sync.
    page = (await api.client.get(f"/sync?since={last}", headers=bob.headers)).json()
    assert [e["kind"] for e in page["events"]] == kinds
