"""No input to a contacts endpoint produces a 500; every refusal is problem+json."""

from __future__ import annotations

from tests.helpers import Api


async def test_no_input_produces_a_500(api: Api) -> None:
    user = await api.register()
    junk = [
        b"",
        b"{",
        b"[]",
        b"null",
        b'{"to_user_id": 1e400, "source": "handle"}',
        b'{"to_user_id": -1, "source": "qr", "qr_token": "a.b.c"}',
        b'{"numbers": [null]}',
        b'{"numbers": ["\\u0000"], "region": "ZZ"}',
        b'{"remark": {"$gt": ""}}',
        b'{"token": "inv.\\u00ff.x"}',
        b"\xff\xfe",
    ]
    paths = [
        ("POST", "/contacts/requests"),
        ("POST", "/contacts/requests/1/accept"),
        ("POST", "/contacts/requests/abc/decline"),
        ("POST", "/contacts/requests/99999999999999999999/withdraw"),
        ("PATCH", "/contacts/privacy"),
        ("PATCH", "/contacts/friends/1"),
        ("DELETE", "/contacts/friends/x"),
        ("PUT", "/contacts/blocks/999999"),
        ("DELETE", "/contacts/blocks/1"),
        ("POST", "/contacts/match"),
        ("POST", "/contacts/import"),
        ("POST", "/contacts/scan"),
        ("POST", "/contacts/invites/redeem"),
        ("GET", "/contacts/search?q=%00%00%00"),
        ("GET", "/contacts/search?q=" + "9" * 40),
        ("GET", "/contacts/users/..%2f..%2f"),
        ("GET", "/contacts/qr/u.x.y.png"),
        ("GET", "/contacts/qr/garbage.svg"),
        ("GET", "/contacts/requests?direction=sideways"),
        ("DELETE", "/contacts/suggestions/0"),
    ]
    for method, path in paths:
        for body in junk:
            r = await api.client.request(
                method,
                path,
                content=body,
                headers={**user.headers, "content-type": "application/json"},
            )
            assert r.status_code < 500, (method, path, body, r.text)
            assert r.headers["content-type"].startswith("application/problem+json"), (
                method,
                path,
                r.status_code,
                r.text,
            )
