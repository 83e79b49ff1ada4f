"""Discover → Feed: the composer counts the Weibo way and stops a post past the limit; a CJK
post with a #topic# and an @mention reaches a follower live; the follower reposts it with a
comment, and the author finds the mention and the repost among the notifications — kept by the
server, so a fresh browser shows the same list and what was read stays read."""

from __future__ import annotations

import io
import re
import subprocess
import time
from typing import Any

from PIL import Image
from playwright.sync_api import Page, expect

from hutong.microblog.text import weibo_length
from tests.e2e.conftest import NewContext, sign_in_api, wait_online
from tests.e2e.harness import PASSWORD, Server, hutong_bin, server_env, unique_handle
from tests.e2e.social import api


def verify(server: Server, badges: list[tuple[dict[str, Any], str, str]]) -> None:
    """Grant V badges the operator's way: by an admin made with `hutong create-admin`."""
    handle = unique_handle("adm")
    subprocess.run(
        [hutong_bin(), "create-admin", handle, "--password", PASSWORD],
        cwd=server.data_dir,
        env=server_env(server.data_dir),
        check=True,
        capture_output=True,
        timeout=120,
    )
    admin = {"handle": handle, "password": PASSWORD}
    for user, kind, reason in badges:
        body = {"kind": kind, "reason": reason}
        api(server, admin, "POST", f"/admin/users/{user['id']}/verification", body)


def png(colour: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, format="PNG")
    return buf.getvalue()


def eventually_unread(server: Server, user: dict[str, Any], count: int) -> bool:
    """The server's unread notification count for `user` reaches `count` within 5 s."""
    for _ in range(50):
        if api(server, user, "GET", "/microblog/notifications/unread", None)["count"] == count:
            return True
        time.sleep(0.1)
    return False


def counter_shows(page: Page, text: str) -> int:
    """Type `text` into the composer; the counter must show what the server's count leaves."""
    page.get_by_test_id("compose-input").fill(text)
    remaining = 140 - weibo_length(text)
    expect(page.get_by_test_id("compose-counter")).to_have_text(str(remaining))
    return remaining


def test_counter_post_realtime_repost_and_notifications(
    new_context: NewContext, server: Server
) -> None:
    alice = server.create_user(display_name="Alice Wang")
    bob = server.create_user(display_name="Bob Li")
    api(server, bob, "PUT", f"/microblog/users/{alice['handle']}/follow", {})

    a = new_context().new_page()
    sign_in_api(a.context, alice["handle"])
    b = new_context().new_page()
    sign_in_api(b.context, bob["handle"])

    # Bob reaches the feed from Discover and waits on his home timeline.
    b.goto("/#/discover")
    b.get_by_test_id("discover-feed").click()
    expect(b.get_by_test_id("screen-feed")).to_be_visible()
    wait_online(b)
    expect(b.get_by_test_id("feed-empty")).to_be_visible()

    # Bob followed her: Discover's tab and its Feed row count it, and so does the Feed's bell.
    a.goto("/#/discover")
    wait_online(a)
    expect(a.get_by_test_id("tab-badge-discover")).to_have_text("1")
    expect(a.get_by_test_id("discover-feed-badge")).to_have_text("1")
    a.get_by_test_id("discover-feed").click()
    expect(a.get_by_test_id("feed-notes-badge")).to_have_text("1")
    a.get_by_test_id("feed-compose").click()
    expect(a.get_by_test_id("screen-feed-compose")).to_be_visible()
    submit = a.get_by_test_id("compose-submit")
    counter = a.get_by_test_id("compose-counter")
    expect(counter).to_have_text("140")
    expect(submit).to_be_disabled()

    # A tricky mix: CJK is 1 each, ASCII ½, an emoji outside the BMP 2, any URL ≤ 140 bytes 10
    # (in bytes: 8 + 4 + 5 + 20 + 3).
    mix = "春节快乐😀 see https://example.com/a/very/long/path/that/goes/on/and/on?x=1&y=2 ok"
    assert counter_shows(a, mix) == 140 - (8 + 4 + 5 + 20 + 3) // 2
    expect(counter).not_to_have_class(re.compile(r"\bis-over\b"))
    expect(submit).to_be_enabled()

    # Exactly at the limit is fine; half a character more is over: red, and Post is disabled.
    assert counter_shows(a, "春" * 136 + "😀" + "a" * 4) == 0
    expect(submit).to_be_enabled()
    over = "春" * 136 + "😀" + "a" * 5
    assert counter_shows(a, over) == -1
    expect(counter).to_have_class(re.compile(r"\bis-over\b"))
    expect(submit).to_be_disabled()
    # A long URL over the limit counts 10 however long it is: back under.
    assert counter_shows(a, "春" * 120 + " https://example.com/" + "x" * 100) == 140 - 131
    expect(submit).to_be_enabled()

    # The post, written with the #topic# and @mention suggestions.
    box = a.get_by_test_id("compose-input")
    box.fill("新年快乐 ")
    box.press("End")
    box.press_sequentially("#春节", delay=30)
    a.get_by_test_id("suggest-topic-new").filter(has_text="#春节#").click()
    expect(box).to_have_value("新年快乐 #春节# ")
    box.press_sequentially("@" + bob["handle"][:5], delay=30)
    a.locator(f"[data-testid=suggest-user][data-handle='{bob['handle']}']").click()
    text = f"新年快乐 #春节# @{bob['handle']}"
    expect(box).to_have_value(text + " ")
    expect(counter).to_have_text(str(140 - weibo_length(text)))
    submit.click()
    expect(a.get_by_test_id("screen-feed")).to_be_visible()
    mine = a.get_by_test_id("post").first
    expect(mine.get_by_test_id("post-text")).to_have_text(text)
    expect(mine.get_by_test_id("topic-link")).to_have_attribute(
        "href", "#/feed/topic/%E6%98%A5%E8%8A%82"
    )
    expect(mine.get_by_test_id("mention-link")).to_have_attribute(
        "href", f"#/feed/u/{bob['handle']}"
    )

    # Bob's open timeline hears of it at once and shows it on tapping the banner.
    banner = b.get_by_test_id("feed-new-banner")
    expect(banner).to_have_text("1 new post")
    banner.click()
    expect(banner).to_be_hidden()
    post = b.get_by_test_id("post").first
    expect(post.get_by_test_id("post-text")).to_have_text(text)
    expect(post.get_by_test_id("post-author")).to_contain_text("Alice Wang")
    # He was mentioned: his bell counts it.
    expect(b.get_by_test_id("feed-notes-badge")).to_have_text("1")

    # He reposts it with a comment that mentions her back.
    post.get_by_test_id("post-repost").click()
    expect(b.get_by_test_id("screen-feed-repost")).to_be_visible()
    expect(b.get_by_test_id("compose-quote")).to_contain_text("新年快乐")
    b.get_by_test_id("compose-input").fill(f"恭喜发财 @{alice['handle']}")
    b.get_by_test_id("compose-submit").click()
    expect(b.get_by_test_id("screen-feed-post")).to_be_visible()
    repost = b.get_by_test_id("post")
    expect(repost.get_by_test_id("post-text")).to_have_text(f"恭喜发财 @{alice['handle']}")
    expect(repost.get_by_test_id("post-root")).to_contain_text("新年快乐")

    # Alice's bell counts both; the notifications screen lists the repost and the mention.
    expect(a.get_by_test_id("feed-notes-badge")).to_have_text("3")
    a.get_by_test_id("feed-notifications").click()
    expect(a.get_by_test_id("screen-feed-notifications")).to_be_visible()
    notes = a.get_by_test_id("note")
    expect(notes).to_have_count(3)
    # Newest first (the repost's mention of her is stored just before the repost itself).
    expect(notes.nth(0)).to_have_attribute("data-kind", "repost")
    expect(notes.nth(1)).to_have_attribute("data-kind", "mention")
    expect(notes.nth(2)).to_have_attribute("data-kind", "follow")
    expect(a.locator("[data-testid=note][data-kind=follow]")).to_contain_text("followed you")
    repost_note = a.locator("[data-testid=note][data-kind=repost]")
    expect(repost_note.get_by_test_id("note-by")).to_have_text("Bob Li")
    expect(repost_note.get_by_test_id("note-line")).to_contain_text("reposted your post")
    expect(repost_note.get_by_test_id("note-text")).to_contain_text("恭喜发财")
    expect(repost_note.get_by_test_id("note-quote")).to_contain_text("新年快乐")  # what he reposted
    mention_note = a.locator("[data-testid=note][data-kind=mention]")
    expect(mention_note.get_by_test_id("note-line")).to_contain_text("mentioned you")
    expect(a.locator("[data-testid=note].is-unread")).to_have_count(3)  # highlighted while I look
    expect(a.get_by_test_id("feed-notes-badge")).to_be_hidden()
    assert eventually_unread(server, alice, 0)  # read on the server, not just in this browser

    # While the list is open, Bob likes her post: it appears on top at once and is read.
    hers = api(server, alice, "GET", f"/microblog/users/{alice['handle']}/posts", None)
    api(server, bob, "PUT", f"/microblog/posts/{hers['items'][0]['id']}/like", {})
    expect(notes).to_have_count(4)
    expect(notes.first).to_have_attribute("data-kind", "like")
    expect(notes.first.get_by_test_id("note-line")).to_have_text(" liked your post")
    expect(notes.first.get_by_test_id("note-quote")).to_contain_text("新年快乐")
    assert eventually_unread(server, alice, 0)

    # The filter asks the server for one kind; a note opens the post with its repost chain's root.
    a.get_by_test_id("notes-filter-repost").click()
    expect(notes).to_have_count(1)
    notes.first.click()
    expect(a.get_by_test_id("screen-feed-post")).to_be_visible()
    expect(a.get_by_test_id("post-root")).to_contain_text("新年快乐")

    # The list lives on the server: on a fresh device (no storage at all) Bob finds the
    # mention, still unread — and reading it there clears the Discover badge.
    b2 = new_context().new_page()
    sign_in_api(b2.context, bob["handle"])
    b2.goto("/#/discover")
    expect(b2.get_by_test_id("tab-badge-discover")).to_have_text("1")
    b2.goto("/#/feed/notifications")
    mention = b2.locator("[data-testid=note][data-kind=mention]")
    expect(mention).to_contain_text("新年快乐")
    expect(mention).to_have_class(re.compile(r"\bis-unread\b"))
    b2.get_by_test_id("back").click()
    expect(b2.get_by_test_id("feed-notes-badge")).to_be_hidden()
    b2.goto("/#/discover")
    expect(b2.get_by_test_id("screen-discover")).to_be_visible()
    expect(b2.get_by_test_id("tab-badge-discover")).to_be_hidden()
    expect(b2.get_by_test_id("discover-feed-badge")).to_have_count(0)

    # And a fresh device of Alice's shows her four, all read already.
    a2 = new_context().new_page()
    sign_in_api(a2.context, alice["handle"])
    a2.goto("/#/feed/notifications")
    expect(a2.get_by_test_id("note")).to_have_count(4)
    expect(a2.locator("[data-testid=note].is-unread")).to_have_count(0)


def test_infinite_scroll_comments_replies_likes_topic_and_follow(
    new_context: NewContext, server: Server
) -> None:
    viewer = server.create_user(display_name="Reader")
    authors = [server.create_user(display_name=f"Author {i}") for i in range(7)]
    verify(
        server,
        [(authors[0], "organisation", "Hutong Community Centre"), (authors[1], "personal", "Tea")],
    )
    for author in authors:
        api(server, viewer, "PUT", f"/microblog/users/{author['handle']}/follow", {})
    for author in authors:
        for n in range(3):
            api(server, author, "POST", "/microblog/posts", {"text": f"胡同日记 {n} #胡同#"})

    page = new_context().new_page()
    sign_in_api(page.context, viewer["handle"])
    page.goto("/#/feed")
    posts = page.get_by_test_id("post")
    expect(posts).to_have_count(20)  # one page
    expect(page.get_by_test_id("feed-list-end")).to_have_count(0)
    page.locator(".screen-body").evaluate("el => el.scrollTo(0, el.scrollHeight)")
    expect(posts).to_have_count(21)  # the next page, by cursor
    expect(page.get_by_test_id("feed-list-end")).to_be_visible()
    ids = posts.evaluate_all("els => els.map(e => Number(e.dataset.id))")
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 21

    # A post: like it, comment, reply to the comment.
    newest = posts.first
    newest.get_by_test_id("post-like").click()
    expect(newest.get_by_test_id("post-like")).to_have_attribute("data-count", "1")
    newest.get_by_test_id("post-text").click()
    expect(page.get_by_test_id("screen-feed-post")).to_be_visible()
    like = page.get_by_test_id("post").get_by_test_id("post-like")
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("comments-empty")).to_be_visible()
    page.get_by_test_id("comment-input").fill("写得真好")
    page.get_by_test_id("comment-input").press("Enter")
    comment = page.get_by_test_id("comment")
    expect(comment.get_by_test_id("comment-text")).to_have_text("写得真好")
    expect(page.get_by_test_id("detail-tab-comments")).to_have_text("Comments 1")
    comment.get_by_test_id("comment-reply").click()
    expect(page.get_by_test_id("comment-replying")).to_contain_text("Reader")
    page.get_by_test_id("comment-input").fill("谢谢")
    page.get_by_test_id("comment-send").click()
    expect(comment.get_by_test_id("reply").get_by_test_id("comment-text")).to_have_text("谢谢")
    # Stored: after a reload the reply is still under its comment.
    page.reload()
    expect(page.get_by_test_id("comment").get_by_test_id("reply")).to_have_count(1)

    # The topic link opens the topic page with every post on it.
    page.get_by_test_id("post").get_by_test_id("topic-link").click()
    expect(page.get_by_test_id("screen-feed-topic")).to_be_visible()
    expect(page.get_by_test_id("topic-count")).to_have_text("21 posts")

    # Badges: blue V for an organisation, orange for a person, on posts and profiles.
    by_org = page.locator("[data-testid=post]", has_text="Author 0").first
    expect(by_org.get_by_test_id("verified-badge")).to_have_attribute("data-kind", "organisation")
    by_person = page.locator("[data-testid=post]", has_text="Author 1").first
    expect(by_person.get_by_test_id("verified-badge")).to_have_class(
        re.compile(r"\bvbadge--personal\b")
    )
    by_person.get_by_test_id("post-author").click()
    expect(page.get_by_test_id("profile-badge")).to_have_attribute("data-kind", "personal")
    expect(page.get_by_test_id("profile-verified")).to_have_text("Verified: Tea")

    # An author's profile: counts, and the follow button undoes the follow.
    author = authors[0]
    page.goto(f"/#/feed/u/{author['handle']}")
    expect(page.get_by_test_id("profile-name")).to_have_text("Author 0")
    expect(page.get_by_test_id("profile-badge")).to_have_class(re.compile(r"\bvbadge--org\b"))
    expect(page.get_by_test_id("profile-posts-count")).to_contain_text("3")
    expect(page.get_by_test_id("profile-followers")).to_have_text("1")
    follow = page.get_by_test_id("follow-button")
    expect(follow).to_have_text("Following")
    follow.click()
    expect(follow).to_have_text("+ Follow")
    expect(page.get_by_test_id("profile-followers")).to_have_text("0")
    expect(page.get_by_test_id("profile-posts").get_by_test_id("post")).to_have_count(3)

    # A post with two images, for followers only.
    page.goto("/#/feed/compose")
    page.get_by_test_id("compose-file").set_input_files(
        [
            {"name": f"{n}.png", "mimeType": "image/png", "buffer": png(colour)}
            for n, colour in enumerate(["red", "blue"])
        ]
    )
    expect(page.locator("[data-testid=compose-image][data-id]")).to_have_count(2)
    page.get_by_test_id("compose-visibility").click()
    page.get_by_test_id("visibility-followers").click()
    expect(page.get_by_test_id("compose-visibility-value")).to_have_text("Followers")
    page.get_by_test_id("compose-input").fill("两张照片")
    page.get_by_test_id("compose-submit").click()
    expect(page.get_by_test_id("screen-feed")).to_be_visible()
    mine = page.get_by_test_id("post").first
    expect(mine.get_by_test_id("post-text")).to_have_text("两张照片")
    expect(mine.get_by_test_id("post-visibility")).to_contain_text("Followers")
    expect(mine.get_by_test_id("post-images").locator("img")).to_have_count(2)
    expect(mine.get_by_test_id("post-repost")).to_have_attribute("aria-disabled", "true")
