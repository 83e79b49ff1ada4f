// #/feed/hot — hot search: the ranked list of terms (topics open their page, other terms a
// search), pinned entries marked, and below it the hot posts.

import { ApiError } from "../../api.js";
import * as feed from "../../data/feed.js";
import { h, mount } from "../../dom.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { postCard } from "./post.js";

function entryHref(e) {
  return e.is_topic ? `#/feed/topic/${encodeURIComponent(e.term)}?back=/feed/hot` : `#/feed/search?q=${encodeURIComponent(e.term)}`;
}

function entryRow(e) {
  return h(
    "a",
    { class: "fhot-row", href: entryHref(e), testid: "hot-entry", dataset: { rank: e.rank, term: e.term } },
    h("span", { class: ["fhot-rank", e.rank <= 3 && `fhot-rank--${e.rank}`, e.pinned && "is-pinned"] }, e.pinned ? "↑" : String(e.rank)),
    h("span", { class: "fhot-term" }, e.is_topic ? `#${e.term}#` : e.term),
    e.pinned ? h("span", { class: "fhot-tag fhot-tag--pin", testid: "hot-pinned" }, "置顶") : e.rank <= 3 ? h("span", { class: "fhot-tag" }, "热") : null,
  );
}

export function hotView(ctx) {
  const entries = h("div", { class: "fhot", testid: "hot-list" }, spinner());
  const posts = h("div", { class: "fhot-posts", testid: "hot-posts" });
  feed
    .hot()
    .then((out) => {
      if (!ctx.alive) return;
      if (!out.entries.length) mount(entries, emptyState({ iconName: "search", title: "Nothing is trending yet", testid: "hot-empty" }));
      else mount(entries, out.entries.map(entryRow));
    })
    .catch((err) => ctx.alive && mount(entries, h("p", { class: "flist-error" }, err instanceof ApiError ? err.detail : "Couldn't load hot search")));
  feed
    .hotPosts()
    .then((list) => ctx.alive && mount(posts, list.length ? [h("div", { class: "cells-title" }, "Hot posts"), list.map((p) => postCard(p))] : null))
    .catch(() => {});
  return screen(ctx, {
    title: "Hot search",
    back: "/feed",
    testid: "screen-feed-hot",
    body: [h("div", { class: "cells-title" }, "Trending now"), entries, posts],
  });
}
