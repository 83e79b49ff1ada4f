// The Discover tab. Moments and Mini Programs are still to come; Scan is live. (Chats and
// Contacts have their own modules under views/chats and views/contacts.)

import { h, mount } from "../dom.js";
import * as store from "../store.js";
import { badge, cell, group } from "../ui/cells.js";
import { toast } from "../ui/feedback.js";
import { screen } from "../ui/layout.js";

const soon = () => toast("Coming soon");

export function discoverView(ctx) {
  const row = (iconName, tone, title, testid) =>
    cell({ icon: iconName, tone, title, testid, value: h("span", { class: "soon" }, "Coming soon"), onClick: soon });
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
      group(row("miniapps", "purple", "Mini Programs", "discover-miniapps")),
    ],
  });
}
