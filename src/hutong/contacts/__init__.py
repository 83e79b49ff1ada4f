"""Contacts: friends, blocks, privacy, QR codes, contact-book matching and invites.

Other domains use `ContactsService` (built once in `app.py`, `container.contacts`):

* `check_can_interact(actor, other, session=None)` — raises the 403 `blocked` problem if either
  blocked the other. Every feature that lets one user reach another (messages, transfers,
  red envelopes, mentions) calls it; pass your write transaction's session to check inside it.
* `is_blocked_either_way(a, b)`, `are_friends(a, b)`, `friend_ids(user)`,
  `blocked_either_way_ids(user)` — for "friends only" visibility and filtering feeds.
* `pair_problems_sqlite(cursor, pairs)` — `ContactsService.pair_problems` (blocks and
  friendship for many pairs at once) on a plain `sqlite3` cursor, for a writer that runs its
  whole SQLite transaction in one blocking call.
* `requests.send(..., source="group" | "card")` — friend requests from features that vouch for
  the relation themselves; `qr.issue_group(group_id, issued_by, base_url)`,
  `qr.revoke_group(group_id)` and `qr.set_group_describer(fn)` for group-chat QR codes.
"""

from hutong.contacts.errors import (
    AlreadyFriends,
    Blocked,
    DuplicateRequest,
    NotAPhoneNumber,
    NotFindable,
    SelfRequest,
)
from hutong.contacts.index import index_letter
from hutong.contacts.relations import NotFriend, pair_problems_sqlite
from hutong.contacts.schemas import FriendOut, PersonOut, PrivacyOut, Relationship, RequestOut
from hutong.contacts.service import ContactsPolicy, ContactsService

__all__ = [
    "AlreadyFriends",
    "Blocked",
    "ContactsPolicy",
    "ContactsService",
    "DuplicateRequest",
    "FriendOut",
    "NotAPhoneNumber",
    "NotFindable",
    "NotFriend",
    "PersonOut",
    "PrivacyOut",
    "Relationship",
    "RequestOut",
    "SelfRequest",
    "index_letter",
    "pair_problems_sqlite",
]
