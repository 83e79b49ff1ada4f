// The Chats, Contacts and Discover tabs. They hold empty states until those features land;
// each becomes its own module then.

import { h } from "../dom.js";
import { icon } from "../icons.js";
import * as store from "../store.js";
import { cell, group } from "../ui/cells.js";
import { toast } from "../ui/feedback.js";
import { emptyState, screen } from "../ui/layout.js";

const soon = () => toast("Coming soon");

function addButton() {
  return h("button", { type: "button", class: "topbar-btn", testid: "chats-add", "aria-label": "New chat", onclick: soon }, icon("plus"));
}

function searchBar(placeholder = "Search") {
  return h("button", { type: "button", class: "searchbar", testid: "search", onclick: soon }, icon("search", { size: 16 }), h("span", {}, placeholder));
}

export function chatsView(ctx) {
  return screen(ctx, {
    title: "Chats",
    tab: "chats",
    testid: "screen-chats",
    actions: [addButton()],
    body: [
      searchBar(),
      emptyState({
        iconName: "chats",
        title: "No chats yet",
        text: "Add friends in Contacts and your conversations will appear here.",
        testid: "empty-chats",
        action: h("a", { class: "btn btn--ghost btn--small", href: "#/contacts" }, "Find friends"),
      }),
    ],
  });
}

export function contactsView(ctx) {
  const handle = store.state.user?.handle;
  return screen(ctx, {
    title: "Contacts",
    tab: "contacts",
    testid: "screen-contacts",
    actions: [h("button", { type: "button", class: "topbar-btn", testid: "contacts-add", "aria-label": "Add contacts", onclick: soon }, icon("userPlus"))],
    body: [
      searchBar(),
      group(
        cell({ icon: "userPlus", tone: "orange", title: "New Friends", testid: "contacts-new", onClick: soon }),
        cell({ icon: "group", tone: "green", title: "Group Chats", testid: "contacts-groups", onClick: soon }),
        cell({ icon: "tag", tone: "blue", title: "Tags", testid: "contacts-tags", onClick: soon }),
      ),
      emptyState({
        iconName: "contacts",
        title: "No contacts yet",
        text: handle ? `Friends can find you by your Hutong ID: ${handle}` : "Friends you add will be listed here.",
        testid: "empty-contacts",
      }),
    ],
  });
}

export function discoverView(ctx) {
  const row = (iconName, tone, title, testid) =>
    cell({ icon: iconName, tone, title, testid, value: h("span", { class: "soon" }, "Coming soon"), onClick: soon });
  return screen(ctx, {
    title: "Discover",
    tab: "discover",
    testid: "screen-discover",
    body: [
      group(row("moments", "moments", "Moments", "discover-moments")),
      group(cell({ icon: "scan", tone: "blue", title: "Scan", testid: "discover-scan", href: "#/contacts/scan?back=discover" })),
      group(row("miniapps", "purple", "Mini Programs", "discover-miniapps")),
    ],
  });
}
