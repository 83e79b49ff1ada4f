// #/feed — the home timeline: my posts and those of people I follow, newest first, with
// infinite scroll. When a followee posts, the realtime `microblog.timeline` message (or, for
// celebrities merged at read time, a poll of GET /microblog/home/new) raises a "N new posts"
// banner; tapping it loads the newest page.

import * as feed from "../../data/feed.js";
import { h } from "../../dom.js";
import { screen } from "../../ui/layout.js";
import { searchInput } from "../../ui/search.js";
import { navigate } from "../../router.js";
import { glyph } from "./glyphs.js";
import { postList } from "./list.js";

const POLL_MS = 30_000;

/** The bell with my unread notification count, for the top bar. */
export function bell(ctx) {
  const count = h("span", { class: "tab-badge fbell-badge", testid: "feed-notes-badge", hidden: true });
  const paint = () => {
    const n = feed.unreadCount();
    count.hidden = n <= 0;
    count.textContent = n > 99 ? "99+" : String(n);
  };
  paint();
  ctx.on("feed:notes", paint);
  return h("a", { class: "topbar-btn fbell", href: "#/feed/notifications", testid: "feed-notifications", "aria-label": "Notifications" }, glyph("bell", { size: 22 }), count);
}

export function homeView(ctx) {
  const list = postList(ctx, {
    fetch: (cursor) => feed.home(cursor),
    testid: "feed-list",
    empty: {
      iconName: "moments",
      title: "Nothing here yet",
      text: "Follow people to see their posts, or post something yourself.",
      testid: "feed-empty",
      action: h("a", { class: "btn btn--primary btn--small", href: "#/feed/hot", testid: "feed-empty-hot" }, "See what's hot"),
    },
  });

  const banner = h("button", { type: "button", class: "fnew", testid: "feed-new-banner", hidden: true });
  let pending = 0;
  const showNew = (n) => {
    pending = n;
    banner.hidden = n <= 0;
    banner.textContent = n === 1 ? "1 new post" : `${n > 99 ? "99+" : n} new posts`;
  };
  banner.addEventListener("click", async () => {
    showNew(0);
    await list.reload();
  });

  let asking = false;
  async function check() {
    if (asking || !ctx.alive) return;
    asking = true;
    try {
      const since = list.newestId();
      const out = await feed.newCount(since);
      if (ctx.alive && since === list.newestId()) showNew(out.count);
    } catch {
      // Offline for a moment: the next poll or push asks again.
    } finally {
      asking = false;
    }
  }
  ctx.on("feed:new", () => {
    showNew(pending + 1); // at once; the count is then settled by the server
    check();
  });
  ctx.setInterval(check, POLL_MS);

  const search = searchInput({ placeholder: "Search posts and people", testid: "feed-search", onEnter: (q) => q.trim() && navigate(`/feed/search?q=${encodeURIComponent(q.trim())}`) });
  return screen(ctx, {
    title: "Feed",
    back: "/discover",
    testid: "screen-feed",
    cls: "screen--feed",
    actions: [
      h("a", { class: "topbar-btn", href: "#/feed/hot", testid: "feed-hot", "aria-label": "Hot search" }, glyph("fire", { size: 22 })),
      bell(ctx),
      h("a", { class: "topbar-btn", href: "#/feed/compose", testid: "feed-compose", "aria-label": "New post" }, glyph("pen", { size: 22 })),
    ],
    body: [h("div", { class: "fsearch" }, search), banner, list.el],
    bodyRef: (main) => ctx.setTimeout(() => list.attach(main), 0),
  });
}
