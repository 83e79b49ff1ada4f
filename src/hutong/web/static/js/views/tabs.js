// The Discover tab: Feed, Scan and Mini Programs. (Chats and Contacts have their own modules
// under views/chats and views/contacts.)

import { h, mount } from "../dom.js";
import * as store from "../store.js";
import { badge, cell, group } from "../ui/cells.js";
import { screen } from "../ui/layout.js";

export function discoverView(ctx) {
  // The Feed row shows my unread notifications, as the Discover tab does (data/feed.js).
  const feedCount = h("span", { class: "cell-badge" });
  const paintFeed = () => mount(feedCount, badge(store.state.badges.discover || 0, { testid: "discover-feed-badge" }));
  paintFeed();
  ctx.on("badges", paintFeed);
  return screen(ctx, {
    title: "Discover",
    tab: "discover",
    testid: "screen-discover",
    body: [
      group(cell({ icon: "moments", tone: "moments", title: "Feed", note: "Posts from people you follow", testid: "discover-feed", href: "#/feed", extra: feedCount })),
      group(cell({ icon: "scan", tone: "blue", title: "Scan", testid: "discover-scan", href: "#/contacts/scan?back=discover" })),
      group(cell({ icon: "miniapps", tone: "purple", title: "Mini Programs", note: "Order food, pay bills and more", testid: "discover-miniapps", href: "#/miniapps" })),
    ],
  });
}
