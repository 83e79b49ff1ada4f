"""Bringing friends from another messenger: vCard/CSV import, suggestions and invite links."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contacts.util import MANY_REQUESTS, befriend, friend_ids, ptype, set_profile
from tests.helpers import Api, User

VCF = """BEGIN:VCARD
VERSION:3.0
FN:Wang Wei
TEL;TYPE=CELL:+86 138 0013 8000
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:Li;Na;;;
EMAIL;TYPE=INTERNET:Li.Na@Example.com
END:VCARD
BEGIN:VCARD
VERSION:2.1
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC=A0=E4=BC=9F
TEL;CELL:13900139000
END:VCARD
begin:vcard
version:3.0
fn:Old Friend
tel:+8615000150000
end:vcard
BEGIN:VCARD
VERSION:4.0
FN:Only A Name
item1.EMAIL:
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Someone With
  A Folded Name
EMAIL:someone@example.org
END:VCARD
"""

pytestmark = MANY_REQUESTS


async def _import(api: Api, user: User, content: str | bytes, name: str = "contacts.vcf") -> Any:
    data = content.encode() if isinstance(content, str) else content
    return await api.client.post(
        "/contacts/import", headers=user.headers, files={"file": (name, data, "text/vcard")}
    )


async def test_vcard_import_gives_suggestions_and_invite_links(api: Api) -> None:
    me, wang, lina, old = [await api.register() for _ in range(4)]
    await set_profile(api, wang, phone="+8613800138000")
    await set_profile(api, lina, email="li.na@example.com")
    await set_profile(api, old, phone="+8615000150000")
    await befriend(api, me, old)
    r = await _import(api, me, VCF)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["contacts"] == 6
    got = {(s["user"]["id"], s["contact_name"]) for s in body["suggestions"]}
    assert got == {(wang.id, "Wang Wei"), (lina.id, "Li Na")}  # the friend is not suggested
    invited = {(i["contact_name"], i["phone"], i["email"]) for i in body["invites"]}
    assert invited == {
        ("张伟", "+8613900139000", None),
        ("Only A Name", None, None),
        ("Someone With A Folded Name", None, "someone@example.org"),
    }
    assert all(i["url"] == f"{api.base}/qr/{i['token']}" for i in body["invites"])
    listed = (await api.client.get("/contacts/suggestions", headers=me.headers)).json()
    assert {s["user"]["id"] for s in listed} == {wang.id, lina.id}
    # Importing again reuses the same invite links and suggestions.
    again = (await _import(api, me, VCF)).json()
    assert sorted(i["id"] for i in again["invites"]) == sorted(i["id"] for i in body["invites"])
    assert len((await api.client.get("/contacts/invites", headers=me.headers)).json()) == 3
    # A suggestion leaves the list once dismissed, or once they are friends.
    assert (
        await api.client.delete(f"/contacts/suggestions/{lina.id}", headers=me.headers)
    ).status_code == 204
    await befriend(api, wang, me)
    assert (await api.client.get("/contacts/suggestions", headers=me.headers)).json() == []


async def test_an_invite_link_makes_the_new_user_and_the_inviter_friends(api: Api) -> None:
    me = await api.register()
    invite = (await _import(api, me, VCF)).json()["invites"][0]
    # Signed out, the link offers sign-up; the new user signs up, then redeems it.
    anon = (await api.client.get(f"/api/qr/{invite['token']}")).json()
    assert (anon["kind"], anon["action"], anon["inviter"]["id"]) == ("inv", "sign_up", me.id)
    own = await api.client.post(
        "/contacts/invites/redeem", headers=me.headers, json={"token": invite["token"]}
    )
    assert (own.status_code, ptype(own)) == (422, "self-request")
    newcomer = await api.register()
    seen = (await api.client.get(f"/api/qr/{invite['token']}", headers=newcomer.headers)).json()
    assert seen["action"] == "accept"
    async with api.socket(me, since=2) as sock:
        await sock.ready()
        r = await api.client.post(
            "/contacts/invites/redeem", headers=newcomer.headers, json={"token": invite["token"]}
        )
        assert r.status_code == 200, r.text
        assert r.json()["user"]["id"] == me.id
        [event] = await sock.events(1)
        assert (event["kind"], event["payload"]["user_id"]) == (
            "contacts.friend_added",
            newcomer.id,
        )
    assert await friend_ids(api, me) == [newcomer.id]
    assert await friend_ids(api, newcomer) == [me.id]
    # Redeeming again is harmless for the same user; anyone else finds it used.
    again = await api.client.post(
        "/contacts/invites/redeem", headers=newcomer.headers, json={"token": invite["token"]}
    )
    assert again.status_code == 200
    late = await api.register()
    r = await api.client.post(
        "/contacts/invites/redeem", headers=late.headers, json={"token": invite["token"]}
    )
    assert (r.status_code, ptype(r)) == (410, "expired")
    r = await api.client.get(f"/api/qr/{invite['token']}", headers=late.headers)
    assert (r.status_code, ptype(r)) == (410, "expired")
    listed = (await api.client.get("/contacts/invites", headers=me.headers)).json()
    assert [i["redeemed"] for i in listed if i["id"] == invite["id"]] == [True]
    for token in ("garbage", "u.e30.xxxxxxxxxxxxxxxxxxxxxx"):
        r = await api.client.post(
            "/contacts/invites/redeem", headers=late.headers, json={"token": token}
        )
        assert (r.status_code, ptype(r)) == (404, "not-found")


async def test_csv_exports_are_read(api: Api) -> None:
    me, wang = await api.register(), await api.register()
    await set_profile(api, wang, phone="+8613800138000")
    google = (
        "Name,Given Name,Family Name,Phone 1 - Type,Phone 1 - Value,E-mail 1 - Value\n"
        "Wang Wei,Wei,Wang,Mobile,+86 138 0013 8000 ::: 010 6552 9988,\n"
        "\n"
        '"Zhao, Min",Min,Zhao,Mobile,13700137000,zhao@example.com\n'
    )
    r = await _import(api, me, google, "google.csv")
    assert r.status_code == 200, r.text
    body = r.json()
    assert [s["user"]["id"] for s in body["suggestions"]] == [wang.id]
    assert [(i["contact_name"], i["phone"]) for i in body["invites"]] == [
        ("Zhao, Min", "+8613700137000")
    ]
    chinese = "姓名,手机,邮箱\n李娜,15900159000,\n"
    r = await _import(api, me, chinese.encode("gb18030"), "通讯录.csv")
    assert r.status_code == 200, r.text
    assert [i["contact_name"] for i in r.json()["invites"]] == ["李娜"]


@pytest.mark.parametrize(
    ("name", "content", "line", "words"),
    [
        ("c.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN:A\nTEL:12\nEND:VCARD\n", 4, "not a phone"),
        ("c.vcf", "BEGIN:VCARD\nFN:A\nEND:VCARD\nBEGIN:VCARD\nFN B\nEND:VCARD\n", 5, "FN B"),
        ("c.vcf", "BEGIN:VCARD\nFN:A\nEND:VCARD\n\nBEGIN:VCARD\nFN:B\n", 5, "never closed"),
        ("c.vcf", "BEGIN:VCARD\nFN:A\nBEGIN:VCARD\nFN:B\nEND:VCARD\n", 3, "inside"),
        ("c.vcf", "hello\nBEGIN:VCARD\nFN:A\nEND:VCARD\n", 1, "outside"),
        ("c.vcf", "BEGIN:VCARD\nFN:A\nEMAIL:nope\nEND:VCARD\n", 3, "email"),
        ("c.csv", "name,phone\nA,13800138000\nB,13900139000,extra\n", 3, "columns"),
        ("c.csv", "name,phone\nA,13800138000\nB,call me maybe\n", 3, "not a phone"),
        ("c.csv", "foo,bar\n1,2\n", 1, "phone or email column"),
        ("c.csv", 'name,phone\n"A,13800138000\n', 2, "CSV"),
        ("c.csv", b"name,phone\nA,138\xff\xfe\x80\x80\n", 2, "UTF-8"),
    ],
)
async def test_a_malformed_file_names_the_line_and_imports_nothing(
    api: Api, name: str, content: str | bytes, line: int, words: str
) -> None:
    me, wang = await api.register(), await api.register()
    await set_profile(api, wang, phone="+8613800138000")
    r = await _import(api, me, content, name)
    assert (r.status_code, ptype(r)) == (422, "malformed-contacts-file"), r.text
    assert r.json()["line"] == line
    assert r.json()["detail"].startswith(f"Line {line}:")
    assert words.lower() in r.json()["detail"].lower()
    assert (await api.client.get("/contacts/suggestions", headers=me.headers)).json() == []
    assert (await api.client.get("/contacts/invites", headers=me.headers)).json() == []
    # Nothing was counted against the matching quota either.
    r = await api.client.post(
        "/contacts/match", headers=me.headers, json={"numbers": ["13800138000"]}
    )
    assert r.json()["numbers_left_today"] == 50_000 - 1


async def test_oversized_or_binary_files_are_refused(api: Api) -> None:
    me = await api.register()
    card = "BEGIN:VCARD\nVERSION:3.0\nFN:Someone\nTEL:+8613800138000\nEND:VCARD\n"
    r = await _import(api, me, card * (2 * 1024 * 1024 // len(card) + 1))
    assert (r.status_code, ptype(r)) == (413, "payload-too-large")
    r = await _import(api, me, b"\x89PNG\r\n\x1a\n\x00\x00", "photo.png")
    assert (r.status_code, ptype(r)) == (415, "unsupported-media")
    r = await _import(api, me, "", "empty.csv")
    assert (r.status_code, ptype(r)) == (422, "malformed-contacts-file")
    r = await api.client.post("/contacts/import", headers=me.headers)
    assert (r.status_code, ptype(r)) == (422, "invalid-input")
    assert (await api.client.get("/contacts/invites", headers=me.headers)).json() == []
