"""Searching posts (Chinese included) and people.

Why an n-gram table rather than the databases' own full-text search: Chinese has no spaces, so
word tokenisers (PostgreSQL's `to_tsvector`, FTS5's default) see a whole sentence as one word;
trigram indexes (pg_trgm, FTS5 `trigram`) cannot serve the two-character queries that are the
most common Chinese searches (春节, 地震), and pg_trgm's handling of CJK depends on the
database's locale. A plain table of terms works identically on SQLite and PostgreSQL:

* text is normalised (NFKC, case-folded) and cut into runs of CJK characters and runs of
  other letters/digits;
* a CJK run contributes its character bigrams (a lone character: itself); a word contributes
  its prefixes of 2–12 characters and itself (so `hut` finds `Hutong`);
* a query is cut the same way; the posts holding all its terms come from an INTERSECT of
  primary-key range scans on `(gram, post_id)`, newest first, in batches; each candidate is
  then checked for the literal query (bigrams may match out of order) and for visibility.

A query with a lone CJK character or a single letter has no term in the index; it scans the
newest posts only (a bounded window), as Weibo's own search weights recency anyway.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, intersect, select
from sqlalchemy.ext.asyncio import AsyncSession

from hutong.microblog.audience import following_among
from hutong.microblog.cursors import read_id
from hutong.microblog.models import Post, SearchGram
from hutong.microblog.paging import fill_page
from hutong.microblog.schemas import PostOut, PostPage, UserCardOut
from hutong.microblog.topics import key_of

if TYPE_CHECKING:
    from hutong.microblog.service import MicroblogService

_CJK = (
    "\u2e80-\u2fff\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003ffff"
)
_TOKEN = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>(?:(?![{_CJK}])\w)+)")
PREFIX_MAX = 12
GRAM_MAX = 32
GRAMS_PER_POST = 400
SCAN_WINDOW = 5000  # newest posts scanned for queries the index cannot serve


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def index_grams(text: str) -> set[str]:
    """The terms a post is found by."""
    out: set[str] = set()
    for m in _TOKEN.finditer(normalise(text)):
        if m.group("cjk"):
            run = m.group("cjk")
            if len(run) == 1:
                out.add(run)
            out.update(run[i : i + 2] for i in range(len(run) - 1))
        else:
            word = m.group("word")
            out.update(word[:n] for n in range(2, min(len(word), PREFIX_MAX) + 1))
            out.add(word[:GRAM_MAX])
    return out


def query_grams(query: str) -> set[str] | None:
    """The index terms a query needs; None if part of it cannot be looked up (scan instead)."""
    out: set[str] = set()
    for m in _TOKEN.finditer(normalise(query)):
        if m.group("cjk"):
            run = m.group("cjk")
            if len(run) == 1:
                return None
            out.update(run[i : i + 2] for i in range(len(run) - 1))
        else:
            word = m.group("word")
            if len(word) == 1:
                return None
            out.add(word[:PREFIX_MAX])
    return out or None


def matches(text: str, terms: list[str]) -> bool:
    norm = normalise(text)
    return all(t in norm for t in terms)


class Search:
    def __init__(self, svc: MicroblogService) -> None:
        self.svc = svc

    async def index(self, s: AsyncSession, post: Post) -> None:
        grams = sorted(index_grams(post.text))[:GRAMS_PER_POST]
        if grams:
            await s.execute(insert(SearchGram), [{"gram": g, "post_id": post.id} for g in grams])

    async def unindex(self, s: AsyncSession, post: Post) -> None:
        await s.execute(delete(SearchGram).where(SearchGram.post_id == post.id))

    async def posts(self, viewer: int, query: str, cursor: str | None, limit: int) -> PostPage:
        """Posts containing every word of `query` that the viewer may see, newest first."""
        svc = self.svc
        terms = [normalise(t) for t in query.split()]
        before = read_id(cursor)
        if before is None:
            await svc.hot.searched(viewer, query)
        grams = query_grams(query)
        blocked = await svc.blocked_ids(viewer)
        async with svc.db.read() as s:
            floor = 0
            if grams is None:
                newest = await s.scalar(select(Post.id).order_by(Post.id.desc()).limit(1))
                floor = max(0, int(newest or 0) - SCAN_WINDOW)

            async def fetch(below: int | None, n: int) -> list[Post]:
                if grams is None:
                    stmt = select(Post).where(Post.id > floor, Post.deleted_at.is_(None))
                    if below is not None:
                        stmt = stmt.where(Post.id < below)
                    return list(await s.scalars(stmt.order_by(Post.id.desc()).limit(n)))
                arms = []
                for g in sorted(grams):
                    arm = select(SearchGram.post_id).where(SearchGram.gram == g)
                    if below is not None:
                        arm = arm.where(SearchGram.post_id < below)
                    arms.append(arm)
                ids = intersect(*arms).subquery()
                stmt = (
                    select(Post)
                    .join(ids, Post.id == ids.c.post_id)
                    .order_by(Post.id.desc())
                    .limit(n)
                )
                return list(await s.scalars(stmt))

            async def render(rows: Sequence[Post]) -> list[PostOut]:
                # Candidates failing the literal check (bigrams out of order) drop out here,
                # after paging has seen the whole batch.
                kept = [p for p in rows if matches(p.text, terms)]
                return await svc.views.posts(s, viewer, kept, blocked=blocked)

            items, next_cursor = await fill_page(
                fetch, render, before, limit, batch=500 if grams is None else None
            )
        return PostPage(items=items, next_cursor=next_cursor)

    async def users(self, viewer: int, query: str, limit: int = 20) -> list[UserCardOut]:
        """People by handle or name: exact handle first, then people the viewer follows, then
        by follower count (as Weibo ranks them)."""
        svc = self.svc
        q = query.strip()
        if not q:
            return []
        found = await svc.accounts.search_profiles(q, limit=100)
        blocked = await svc.blocked_ids(viewer)
        found = [u for u in found if u.id not in blocked]
        ids = {u.id for u in found}
        async with svc.db.read() as s:
            follows = await following_among(s, viewer, ids)
            counts = await svc.graph.follower_counts(s, ids)
        key = key_of(q).lstrip("@")
        found.sort(key=lambda u: (u.handle != key, u.id not in follows, -counts.get(u.id, 0)))
        authors = await svc.authors([u.id for u in found[:limit]])
        return [
            UserCardOut(
                user=authors[u.id],
                mutual=False,
                following=u.id in follows,
                followers_count=counts.get(u.id, 0),
            )
            for u in found[:limit]
            if u.id in authors
        ]
