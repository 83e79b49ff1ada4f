// #/feed/search?q= — posts containing every word, and the people whose handle or name match.

import { ApiError } from "../../api.js";
import * as feed from "../../data/feed.js";
import { h, mount } from "../../dom.js";
import { navigate } from "../../router.js";
import { screen } from "../../ui/layout.js";
import { searchInput } from "../../ui/search.js";
import { postList } from "./list.js";
import { personRow } from "./people.js";

export function searchView(ctx) {
  const q = (ctx.query.q || "").trim();
  const box = searchInput({ placeholder: "Search posts and people", testid: "feed-search", value: q, autofocus: !q, onEnter: (v) => v.trim() && navigate(`/feed/search?q=${encodeURIComponent(v.trim())}`, { replace: true }) });
  const people = h("div", { class: "fpeople", testid: "search-users" });
  const body = [h("div", { class: "fsearch" }, box), people];
  let list = null;
  if (q) {
    feed
      .searchUsers(q, 5)
      .then((rows) => ctx.alive && mount(people, rows.length ? [h("div", { class: "cells-title" }, "People"), h("div", { class: "cells" }, rows.map(personRow))] : null))
      .catch((err) => ctx.alive && mount(people, h("p", { class: "flist-error" }, err instanceof ApiError ? err.detail : "")));
    list = postList(ctx, {
      testid: "search-posts",
      fetch: (cursor) => feed.searchPosts(q, cursor),
      empty: { iconName: "search", title: `No posts with “${q}”`, testid: "search-empty" },
    });
    body.push(h("div", { class: "cells-title" }, "Posts"), list.el);
  }
  return screen(ctx, {
    title: "Search",
    back: "/feed",
    testid: "screen-feed-search",
    body,
    bodyRef: (main) => list && ctx.setTimeout(() => list.attach(main), 0),
  });
}
