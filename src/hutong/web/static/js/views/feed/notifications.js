// #/feed/notifications — who followed me, mentioned me, commented, reposted or liked, newest
// first, filtered Weibo style (@me, comments, reposts, likes, follows). The list is the
// server's (GET /microblog/notifications), paged as I scroll; a notification arriving while the
// screen is open is fetched and put on top. Looking at the unfiltered list marks it read up to
// its newest entry; what was unread when it came stays highlighted while I look.

import { ApiError } from "../../api.js";
import * as feed from "../../data/feed.js";
import { h, mount } from "../../dom.js";
import { ago } from "../../format.js";
import { avatar, verifiedBadge } from "../../ui/avatar.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { debounce } from "../../util.js";
import { postHref, profileHref } from "./post.js";

const NEAR_BOTTOM = 400; // px

// [chip id (a stored kind, used in testids and ?kind= of this screen's URL), label, API filter]
const FILTERS = [
  ["all", "All", null],
  ["mention", "@Me", "mentions"],
  ["comment", "Comments", "comments"],
  ["repost", "Reposts", "reposts"],
  ["like", "Likes", "likes"],
  ["follow", "Follows", "follows"],
];

function what(note) {
  switch (note.kind) {
    case "follow":
      return { line: "followed you", href: profileHref(note.by.handle) };
    case "mention":
      return { line: note.comment_id ? "mentioned you in a comment" : "mentioned you in a post", href: postHref(note.post_id) };
    case "comment":
      return { line: note.reply_to_comment_id ? "replied to your comment" : "commented on your post", href: postHref(note.post_id) };
    case "repost":
      return { line: "reposted your post", href: postHref(note.post_id) };
    case "like":
      return { line: note.comment_id ? "liked your comment" : "liked your post", href: postHref(note.post_id) };
    default:
      return { line: note.kind, href: "#/feed" };
  }
}

function noteRow(note) {
  const by = note.by;
  const w = what(note);
  // A note about a post since deleted (or hidden from me) leads nowhere: it says so instead.
  const link = !note.gone || note.kind === "follow";
  return h(
    link ? "a" : "div",
    { class: ["fnote", note.unread && "is-unread", note.gone && "is-gone"], href: link ? w.href : null, testid: "note", dataset: { kind: note.kind, id: note.id } },
    avatar(by, { size: "md" }),
    h(
      "div",
      { class: "fnote-body" },
      h("div", { class: "fnote-head" }, h("span", { class: "fnote-name", testid: "note-by" }, by.display_name || by.handle), verifiedBadge(by), h("span", { class: "fnote-line", testid: "note-line" }, ` ${w.line}`)),
      note.gone
        ? h("div", { class: "fnote-gone", testid: "note-gone" }, "This post is no longer available")
        : [
            note.text ? h("div", { class: "fnote-text", testid: "note-text" }, note.text) : null,
            note.post_text && note.post_text !== note.text ? h("div", { class: "fnote-quote", testid: "note-quote" }, note.post_text) : null,
          ],
      h("div", { class: "fnote-time" }, ago(note.created_at)),
    ),
  );
}

export function notificationsView(ctx) {
  let filter = FILTERS.find(([k]) => k === ctx.query.kind) || FILTERS[0];
  const chips = h("div", { class: "fchips", role: "tablist" });
  const list = h("div", { class: "fnotes", testid: "notes-list" });
  const foot = h("div", { class: "flist-foot", testid: "notes-foot" });
  const shown = new Set();
  let cursor = null;
  let done = false;
  let loading = null;
  let generation = 0;
  let main = null;

  const markRead = (id) => filter[0] === "all" && feed.markRead(id).catch(() => {}); // retried on the next look

  function more() {
    if (done || loading || !ctx.alive) return loading;
    const gen = generation;
    mount(foot, spinner());
    loading = (async () => {
      try {
        const page = await feed.notifications(cursor, filter[2]);
        if (gen !== generation || !ctx.alive) return;
        const first = cursor === null;
        for (const note of page.items) {
          if (shown.has(note.id)) continue;
          shown.add(note.id);
          list.append(noteRow(note));
        }
        cursor = page.next_cursor;
        done = !cursor;
        if (!shown.size && done) mount(foot, emptyState({ iconName: "at", title: "No notifications yet", text: "Mentions, comments, reposts, likes and new followers show up here.", testid: "notes-empty" }));
        else mount(foot, done ? h("p", { class: "flist-end", testid: "notes-end" }, "No more notifications") : null);
        if (first && page.items.length) markRead(page.items[0].id);
      } catch (err) {
        if (gen !== generation) return;
        mount(foot, h("p", { class: "flist-error", testid: "notes-error" }, err instanceof ApiError ? err.detail : "Couldn't load notifications", " ", h("button", { type: "button", class: "link-btn", onclick: () => more() }, "Retry")));
      } finally {
        if (gen === generation) loading = null;
      }
      fill();
    })();
    return loading;
  }

  // Keep loading while the list doesn't fill the screen, and as I near its end.
  function fill() {
    if (main && !done && !loading && main.scrollHeight - main.scrollTop - main.clientHeight < NEAR_BOTTOM) more();
  }

  function restart() {
    generation += 1;
    loading = null;
    cursor = null;
    done = false;
    shown.clear();
    list.replaceChildren();
    if (main) main.scrollTop = 0;
    more();
  }

  // Something new happened: fetch the first page and put what I haven't seen on top.
  const newer = debounce(async () => {
    if (!ctx.alive) return;
    const gen = generation;
    try {
      const page = await feed.notifications(null, filter[2]);
      if (gen !== generation || !ctx.alive) return;
      const fresh = page.items.filter((n) => !shown.has(n.id));
      for (const note of fresh.reverse()) {
        shown.add(note.id);
        list.prepend(noteRow(note));
      }
      if (fresh.length) {
        if (foot.querySelector("[data-testid=notes-empty]")) mount(foot, done ? h("p", { class: "flist-end", testid: "notes-end" }, "No more notifications") : null);
        markRead(page.items[0].id);
      }
    } catch {
      // Offline for a moment: the next notification (or a reopen) fetches again.
    }
  }, 150);
  ctx.on("feed:note", newer);
  ctx.onCleanup(() => newer.cancel());

  function paintChips() {
    mount(
      chips,
      FILTERS.map((f) =>
        h(
          "button",
          {
            type: "button",
            role: "tab",
            class: ["fchip", filter === f && "is-active"],
            "aria-selected": String(filter === f),
            testid: `notes-filter-${f[0]}`,
            onclick: () => {
              if (filter === f) return;
              filter = f;
              paintChips();
              restart();
            },
          },
          f[1],
        ),
      ),
    );
  }
  paintChips();

  return screen(ctx, {
    title: "Notifications",
    back: "/feed",
    testid: "screen-feed-notifications",
    body: [chips, list, foot],
    bodyRef: (body) => {
      main = body;
      body.addEventListener("scroll", fill, { passive: true });
      ctx.setTimeout(() => more(), 0);
    },
  });
}
