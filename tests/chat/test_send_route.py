"""`POST /chats/{id}/messages` answers as its route says, however the request is shaped: the
common send takes a shortcut past the router (`chat.routes.SendShortcut`), everything else
goes the usual way, and a client cannot tell which."""

from __future__ import annotations

import json

from tests.chat.util import cid, direct, friends, ptype
from tests.helpers import Api


async def test_a_send_is_answered_201_with_the_message_and_counted_under_its_route(
    api: Api,
) -> None:
    alice, bob = await friends(api, 2)
    chat = await direct(api, alice, bob)
    body = {"client_id": cid(), "kind": "text", "text": "你好 🙂"}
    r = await api.client.post(
        f"/chats/{chat}/messages",
        headers={**alice.headers, "X-Request-ID": "send-1"},
        content=json.dumps(body).encode(),
    )
    # No content type: the router's own answer.
    assert (r.status_code, r.headers["content-type"]) == (422, "application/problem+json")
    r = await api.client.post(
        f"/chats/{chat}/messages",
        headers={
            **alice.headers,
            "X-Request-ID": "send-1",
            # parameters after the media type, in any case, as the router takes them
            "Content-Type": "Application/JSON; charset=utf-8",
        },
        content=json.dumps(body).encode(),
    )
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-request-id"] == "send-1"
    sent = r.json()
    assert (sent["chat_id"], sent["seq"], sent["sender_id"], sent["body"]) == (
        chat,
        1,
        alice.id,
        {"text": "你好 🙂"},
    )
    history = (await api.client.get(f"/chats/{chat}/messages", headers=bob.headers)).json()
    assert history == [sent]
    metrics = (await api.client.get("/metrics")).text
    assert (
        'hutong_http_requests_total{method="POST",route="/chats/{chat_id}/messages",status="201"}'
        in metrics
    )
    assert (
        'hutong_http_requests_total{method="POST",route="/chats/{chat_id}/messages",status="422"}'
        in metrics
    )


async def test_refusals_and_malformed_sends_are_the_same_typed_problems(api: Api) -> None:
    alice, bob = await friends(api, 2)
    stranger = await api.register()
    chat = await direct(api, alice, bob)
    ok = {"client_id": cid(), "kind": "text", "text": "hi"}
    url = f"/chats/{chat}/messages"
    cases = [
        # (headers, raw body, status, problem type)
        ({}, json.dumps(ok), 401, "unauthenticated"),
        ({"Authorization": "Bearer nope"}, json.dumps(ok), 401, "unauthenticated"),
        (alice.headers, "{not json", 422, "invalid-input"),
        (alice.headers, json.dumps({**ok, "kind": "nope"}), 422, "invalid-input"),
        (alice.headers, json.dumps({**ok, "extra": 1}), 422, "invalid-input"),
        (alice.headers, json.dumps({**ok, "text": "   "}), 422, "invalid-input"),
        (stranger.headers, json.dumps({**ok, "client_id": cid()}), 404, "not-found"),
    ]
    for headers, raw, status, kind in cases:
        r = await api.client.post(
            url, headers={**headers, "Content-Type": "application/json"}, content=raw
        )
        assert (r.status_code, ptype(r)) == (status, kind), (raw, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    r = await api.client.post(
        "/chats/999999999/messages", headers=alice.headers, json={**ok, "client_id": cid()}
    )
    assert (r.status_code, ptype(r)) == (404, "not-found")
    r = await api.client.post("/chats/0/messages", headers=alice.headers, json=ok)
    assert r.status_code == 404
    r = await api.client.delete(f"/contacts/friends/{bob.id}", headers=alice.headers)
    assert r.status_code in {200, 204}
    r = await api.client.post(url, headers=alice.headers, json={**ok, "client_id": cid()})
    assert (r.status_code, ptype(r)) == (403, "not-friends")
    assert (await api.client.get(url, headers=bob.headers)).json() == []


async def test_a_browser_session_needs_its_csrf_header_to_send(api: Api) -> None:
    carol, bob = await friends(api, 2)
    chat = await direct(api, bob, carol)
    body = {"client_id": cid(), "kind": "text", "text": "from the browser"}
    async with api.browser() as b:
        r = await b.post("/auth/login", json={"handle": carol.handle, "password": carol.password})
        assert r.status_code == 200, r.text
        r = await b.post(f"/chats/{chat}/messages", json=body)
        assert (r.status_code, ptype(r)) == (403, "csrf-failed")
        r = await b.post(
            f"/chats/{chat}/messages", json=body, headers={"X-CSRF-Token": b.cookies["hutong_csrf"]}
        )
        assert r.status_code == 201, r.text
    history = (await api.client.get(f"/chats/{chat}/messages", headers=bob.headers)).json()
    assert [(m["sender_id"], m["body"]["text"]) for m in history] == [
        (carol.id, "from the browser")
    ]
