// #/chats — the Chats tab: my chats, pinned ones on top, newest first, with unread badges (a
// dot for muted chats), last message and time. Long-press or right-click a chat to pin, mute,
// mark read or delete it. The + menu starts a group chat, adds contacts or scans a code.

import { h, mount } from "../../dom.js";
import { chatTime } from "../../format.js";
import { icon } from "../../icons.js";
import * as chats from "../../data/chats.js";
import { navigate } from "../../router.js";
import * as store from "../../store.js";
import { badge } from "../../ui/cells.js";
import { confirmSheet, contextMenu, onLongPress, toast } from "../../ui/feedback.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { searchInput } from "../../ui/search.js";
import { chatAvatar, chatName, previewLine } from "./common.js";

async function chatActions(c, at) {
  const run = async (fn) => {
    try {
      await fn();
    } catch (err) {
      toast(err.detail, { kind: "error" });
    }
  };
  const items = [
    { label: c.pinned ? "Unpin" : "Pin to Top", testid: "chat-action-pin", onSelect: () => run(() => chats.updateSettings(c.id, { pinned: !c.pinned })) },
    { label: c.muted ? "Unmute" : "Mute Notifications", testid: "chat-action-mute", onSelect: () => run(() => chats.updateSettings(c.id, { muted: !c.muted })) },
  ];
  if (c.unread) items.push({ label: "Mark as Read", testid: "chat-action-read", onSelect: () => chats.markRead(c.id) });
  items.push({
    label: "Delete",
    danger: true,
    testid: "chat-action-delete",
    onSelect: async () => {
      const ok = await confirmSheet({ title: `Delete the chat with ${chatName(c)}?`, message: "Its messages are removed from this list and from your devices. Others keep theirs.", confirmLabel: "Delete", danger: true });
      if (ok) run(() => chats.deleteChat(c.id));
    },
  });
  contextMenu({ x: at.x, y: at.y, items, testid: "chat-menu" });
}

function chatRow(c) {
  const mentioned = c.mentioned && c.unread;
  const row = h(
    "a",
    {
      class: ["chat-row", c.pinned && "is-pinned"],
      href: `#/chats/${c.id}`,
      testid: `chat-${c.id}`,
      dataset: { chatId: String(c.id), unread: String(c.unread || 0), pinned: String(c.pinned), muted: String(c.muted), kind: c.kind },
    },
    h("span", { class: "chat-avatar" }, chatAvatar(c), badge(c.unread, { dot: c.muted, testid: "chat-badge" })),
    h(
      "span",
      { class: "chat-main" },
      h("span", { class: "chat-top" }, h("span", { class: "chat-name", testid: "chat-name" }, chatName(c)), h("span", { class: "chat-time" }, c.last_message ? chatTime(c.last_message.created_at) : "")),
      h(
        "span",
        { class: "chat-bottom" },
        h(
          "span",
          { class: "chat-preview", testid: "chat-preview" },
          c.status === "invited" ? h("span", { class: "chat-flag" }, "[Invitation] ") : null,
          mentioned ? h("span", { class: "chat-flag" }, "[@You] ") : null,
          c.muted && c.unread > 1 ? `[${c.unread}] ` : null,
          previewLine(c),
        ),
        c.muted ? h("span", { class: "chat-muted", testid: "chat-muted", "aria-label": "Muted" }, icon("muted", { size: 15 })) : null,
      ),
    ),
  );
  onLongPress(row, (at) => chatActions(c, at));
  return row;
}

function plusMenu(btn) {
  const r = btn.getBoundingClientRect();
  contextMenu({
    x: r.right - 170,
    y: r.bottom + 4,
    testid: "plus-menu",
    dark: false,
    items: [
      { label: "New Group Chat", testid: "menu-new-group", onSelect: () => navigate("/chats/new") },
      { label: "Add Contacts", testid: "menu-add-contacts", onSelect: () => navigate("/contacts/add") },
      { label: "Scan", testid: "menu-scan", onSelect: () => navigate("/contacts/scan") },
    ],
  });
}

export function chatListView(ctx) {
  let query = "";
  const list = h("div", { class: "chat-list", testid: "chat-list" });
  const title = h("span", {}, "Chats");

  function paint() {
    const n = store.state.badges.chats;
    title.textContent = n ? `Chats (${n > 99 ? "99+" : n})` : "Chats";
    if (!chats.listLoaded()) return mount(list, spinner());
    const q = query.trim().toLowerCase();
    const rows = chats.list().filter((c) => !q || chatName(c).toLowerCase().includes(q));
    if (q) {
      return mount(
        list,
        rows.map(chatRow),
        h("a", { class: "cell cell--link search-more", href: `#/chats/search?q=${encodeURIComponent(query.trim())}`, testid: "search-messages" }, icon("search", { size: 18 }), h("span", { class: "cell-body" }, `Search messages for “${query.trim()}”`)),
      );
    }
    if (!rows.length) {
      return mount(
        list,
        emptyState({
          iconName: "chats",
          title: "No chats yet",
          text: "Add friends in Contacts and your conversations will appear here.",
          testid: "empty-chats",
          action: h("a", { class: "btn btn--ghost btn--small", href: "#/contacts" }, "Find friends"),
        }),
      );
    }
    mount(list, rows.map(chatRow));
  }

  paint();
  ctx.on("chats", paint);
  ctx.on("badges", paint);
  ctx.on("contacts:friends", paint); // remarks change names
  ctx.setInterval(paint, 60_000); // "Yesterday" becomes a weekday …
  if (!chats.listLoaded()) chats.loadList().catch(() => {});

  const add = h("button", { type: "button", class: "topbar-btn", testid: "chats-add", "aria-label": "New chat" }, icon("plus"));
  add.addEventListener("click", () => plusMenu(add));

  return screen(ctx, {
    title,
    pageTitle: "Chats",
    tab: "chats",
    testid: "screen-chats",
    actions: [add],
    body: [
      searchInput({
        placeholder: "Search",
        testid: "search",
        onInput: (v) => {
          query = v;
          paint();
        },
        onEnter: (v) => v.trim() && navigate(`/chats/search?q=${encodeURIComponent(v.trim())}`),
      }),
      list,
    ],
  });
}
