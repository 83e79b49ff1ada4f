// #/feed/notifications — who followed me, mentioned me, commented, reposted or liked, newest
// first, filtered Weibo style (@me, comments, reposts, likes, follows). The list lives in
// data/feed.js, fed by the realtime log; opening this screen marks it read.

import * as feed from "../../data/feed.js";
import { h, mount } from "../../dom.js";
import { ago } from "../../format.js";
import { avatar, verifiedBadge } from "../../ui/avatar.js";
import { emptyState, screen } from "../../ui/layout.js";
import { profileHref } from "./post.js";

const FILTERS = [
  ["all", "All"],
  ["mention", "@Me"],
  ["comment", "Comments"],
  ["repost", "Reposts"],
  ["like", "Likes"],
  ["follow", "Follows"],
];

function what(note) {
  const p = note.payload;
  switch (note.kind) {
    case "follow":
      return { line: "followed you", href: profileHref(p.by?.handle || "") };
    case "mention":
      return { line: p.comment_id ? "mentioned you in a comment" : "mentioned you in a post", text: p.text, href: `#/feed/p/${p.post_id}` };
    case "comment":
      return { line: p.reply_to_comment_id ? "replied to your comment" : "commented on your post", text: p.text, href: `#/feed/p/${p.post_id}` };
    case "repost":
      return { line: "reposted your post", text: p.text, href: `#/feed/p/${p.post_id}` };
    case "like":
      return { line: p.comment_id ? "liked your comment" : "liked your post", href: `#/feed/p/${p.post_id}` };
    default:
      return { line: note.kind, href: "#/feed" };
  }
}

function noteRow(note, unread) {
  const by = note.payload.by || {};
  const w = what(note);
  return h(
    "a",
    { class: ["fnote", unread && "is-unread"], href: w.href, testid: "note", dataset: { kind: note.kind, seq: note.seq } },
    avatar(by, { size: "md" }),
    h(
      "div",
      { class: "fnote-body" },
      h("div", { class: "fnote-head" }, h("span", { class: "fnote-name", testid: "note-by" }, by.display_name || by.handle || "Someone"), verifiedBadge(by), h("span", { class: "fnote-line", testid: "note-line" }, ` ${w.line}`)),
      w.text ? h("div", { class: "fnote-text", testid: "note-text" }, w.text) : null,
      h("div", { class: "fnote-time" }, ago(note.at)),
    ),
  );
}

export function notificationsView(ctx) {
  let filter = FILTERS.some(([k]) => k === ctx.query.kind) ? ctx.query.kind : "all";
  const chips = h("div", { class: "fchips", role: "tablist" });
  const list = h("div", { class: "fnotes", testid: "notes-list" });

  function paint() {
    mount(
      chips,
      FILTERS.map(([k, label]) =>
        h("button", { type: "button", role: "tab", class: ["fchip", filter === k && "is-active"], "aria-selected": String(filter === k), testid: `notes-filter-${k}`, onclick: () => ((filter = k), paint()) }, label),
      ),
    );
    const rows = feed.notifications().filter((n) => filter === "all" || n.kind === filter);
    if (!rows.length) mount(list, emptyState({ iconName: "at", title: "No notifications yet", text: "Mentions, comments, reposts, likes and new followers show up here.", testid: "notes-empty" }));
    else mount(list, rows.map((n) => noteRow(n, n.seq > readBefore)));
  }

  const refresh = () => {
    paint();
    feed.markAllRead();
  };
  // What was unread when I came stays highlighted while I look.
  const readBefore = feed.lastRead();
  ctx.on("feed:notes", refresh);
  refresh();

  return screen(ctx, {
    title: "Notifications",
    back: "/feed",
    testid: "screen-feed-notifications",
    body: [chips, list],
  });
}
