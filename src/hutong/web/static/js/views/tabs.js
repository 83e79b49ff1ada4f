// The Discover tab. Moments and Mini Programs are still to come; Scan is live. (Chats and
// Contacts have their own modules under views/chats and views/contacts.)

import { h } from "../dom.js";
import { cell, group } from "../ui/cells.js";
import { toast } from "../ui/feedback.js";
import { screen } from "../ui/layout.js";

const soon = () => toast("Coming soon");

export function discoverView(ctx) {
  const row = (iconName, tone, title, testid) =>
    cell({ icon: iconName, tone, title, testid, value: h("span", { class: "soon" }, "Coming soon"), onClick: soon });
  return screen(ctx, {
    title: "Discover",
    tab: "discover",
    testid: "screen-discover",
    body: [
      group(cell({ icon: "moments", tone: "moments", title: "Feed", note: "Posts from people you follow", testid: "discover-feed", href: "#/feed" })),
      group(cell({ icon: "scan", tone: "blue", title: "Scan", testid: "discover-scan", href: "#/contacts/scan?back=discover" })),
      group(row("miniapps", "purple", "Mini Programs", "discover-miniapps")),
    ],
  });
}
