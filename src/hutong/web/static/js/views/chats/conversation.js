// #/chats/:id — a conversation: bubbles with day separators and times, older messages as I
// scroll up, new ones live (and a "new messages" pill when I am reading further up), read markers
// sent while the chat is on screen, who is typing in the title, and the input bar.
//
// Long-press or right-click a message to copy it, recall it (mine, within 2 minutes; files
// 3 hours), remove it (group owners and admins), mention its sender, or retry a failed send.

import { api, serverNow } from "../../api.js";
import { h, mount } from "../../dom.js";
import { clockTime, dayLabel, sameDay } from "../../format.js";
import { icon } from "../../icons.js";
import * as chats from "../../data/chats.js";
import * as users from "../../data/users.js";
import { navigate } from "../../router.js";
import * as store from "../../store.js";
import { contextMenu, onLongPress, toast } from "../../ui/feedback.js";
import { screen, spinner } from "../../ui/layout.js";
import { copyText } from "../../util.js";
import { reportSheet } from "../admin/report.js";
import { chatName, senderName } from "./common.js";
import { composer } from "./composer.js";
import { messageEl, notice } from "./bubbles.js";
import { stopVoice } from "./media.js";

const RECALL_MS = 2 * 60 * 1000;
const FILE_RECALL_MS = 3 * 3600 * 1000;
const GAP_MS = 5 * 60 * 1000;
const NEAR_BOTTOM = 120;

function keyOf(m) {
  return m.client_id && m.sender_id === store.state.user?.id ? `c:${m.client_id}` : `s:${m.seq}`;
}

export function conversationView(ctx) {
  const chatId = Number(ctx.params.id);
  const c = chats.convo(chatId);
  const me = store.state.user.id;
  let body = null; // the scrolling <main>
  let stick = true; // keep the newest message in view
  let unseen = 0;
  let els = new Map();

  const title = h("span", { class: "conv-title" });
  const sub = h("span", { class: "topbar-sub", testid: "typing", "aria-live": "polite" });
  const top = h("div", { class: "conv-top", testid: "history-top" });
  const list = h("div", { class: "conv-list", testid: "messages" });
  const banner = h("div", { class: "conv-banner", hidden: true });
  const pill = h("button", { type: "button", class: "new-pill", testid: "new-pill", hidden: true }, icon("down", { size: 16 }), h("span", {}));
  const info = h("a", { class: "topbar-btn", href: `#/chats/${chatId}/info`, testid: "chat-info", "aria-label": "Chat info" }, icon("more"));

  const entry = () => chats.chat(chatId);

  const input = composer({
    ctx,
    chatId,
    chat: entry,
    members: () => c.members,
    loadMembers: () => chats.loadMembers(chatId),
    onSend: () => {
      stick = true;
      toBottom();
    },
  });

  // -- header ------------------------------------------------------------------------------

  function paintTitle() {
    const e = entry();
    if (!e) return;
    title.textContent = e.kind === "group" ? `${chatName(e)} (${e.member_count})` : chatName(e);
    document.title = `${chatName(e)} · Hutong`;
  }

  function paintTyping() {
    const ids = chats.typingIn(chatId);
    const e = entry();
    if (!ids.length) sub.textContent = "";
    else if (e?.kind !== "group") sub.textContent = "typing…";
    else if (ids.length === 1) sub.textContent = `${senderName(ids[0], { you: false })} is typing…`;
    else sub.textContent = `${ids.length} people are typing…`;
  }

  function paintState() {
    const e = entry();
    if (c.gone) {
      input.setBlocked(c.gone === "removed" ? "You were removed from this group chat." : "You left this group chat.");
      info.hidden = true;
    } else if (e?.status === "invited") {
      input.setBlocked("");
      mount(
        input.blockedEl,
        h("p", {}, "You were invited to this group chat."),
        h(
          "div",
          { class: "invite-actions" },
          h("button", { type: "button", class: "btn btn--ghost btn--small", testid: "invite-decline", onclick: () => answer(false) }, "Decline"),
          h("button", { type: "button", class: "btn btn--primary btn--small", testid: "invite-accept", onclick: () => answer(true) }, "Join"),
        ),
      );
    } else if (e?.kind === "group" && e.mute_all && e.role === "member") {
      input.setBlocked("All members are muted. Only the owner and admins can speak.");
    } else input.setBlocked(null);
    if (e?.kind === "group" && e.announcement) {
      banner.hidden = false;
      mount(banner, h("a", { class: "conv-announcement", href: `#/chats/${chatId}/announcement`, testid: "announcement-banner" }, icon("alert", { size: 16 }), h("span", {}, e.announcement)));
    } else banner.hidden = true;
  }

  async function answer(join) {
    try {
      if (join) {
        await api.post(`/chats/${chatId}/accept`);
        await chats.fetchChat(chatId);
        c.loaded = false;
        await chats.ensureLoaded(chatId);
        paintState();
        update({ type: "history" });
      } else {
        await api.post(`/chats/${chatId}/decline`);
        chats.refreshChat(chatId, 0);
        navigate("/chats", { replace: true });
      }
    } catch (err) {
      toast(err.detail, { kind: "error" });
    }
  }

  // -- messages ----------------------------------------------------------------------------

  function nearBottom() {
    return !body || body.scrollHeight - body.scrollTop - body.clientHeight < NEAR_BOTTOM;
  }

  function toBottom() {
    if (!body) return;
    body.scrollTop = body.scrollHeight;
    unseen = 0;
    pill.hidden = true;
  }

  function menuFor(m, at) {
    const e = entry();
    const items = [];
    if (m.pending === "failed") {
      items.push({ label: "Resend", testid: "msg-action-retry", onSelect: () => chats.retry(chatId, m.client_id) });
      items.push({ label: "Delete", danger: true, testid: "msg-action-discard", onSelect: () => chats.discard(chatId, m.client_id) });
    }
    if (m.kind === "text" && m.body?.text) items.push({ label: "Copy", testid: "msg-action-copy", onSelect: async () => toast((await copyText(m.body.text)) ? "Copied" : "Couldn't copy") });
    if (m.seq !== null && !m.recalled && m.kind !== "system") {
      const age = serverNow() - Date.parse(m.created_at);
      const window = m.kind === "file" ? FILE_RECALL_MS : RECALL_MS;
      if (m.sender_id === me && age < window) items.push({ label: "Recall", testid: "msg-action-recall", onSelect: () => recall(m) });
      else if (m.sender_id !== me && e?.kind === "group" && e.role !== "member") items.push({ label: "Remove", danger: true, testid: "msg-action-remove", onSelect: () => recall(m) });
    }
    if (e?.kind === "group" && m.sender_id && m.sender_id !== me) {
      const u = users.get(m.sender_id);
      if (u) items.push({ label: `@${users.nameOf(u)}`, testid: "msg-action-mention", onSelect: () => input.mention(u) });
    }
    if (m.seq !== null && m.sender_id && m.sender_id !== me && !m.recalled && m.kind !== "system") items.push({ label: "Report", testid: "msg-action-report", onSelect: () => reportMessage(m) });
    if (items.length) contextMenu({ x: at.x, y: at.y, items, testid: "msg-menu", dark: true });
  }

  // The message itself is reported (ref "<chat>:<seq>"); the server keeps the reporter's copy.
  function reportMessage(m) {
    const text = m.kind === "text" ? m.body?.text || "" : `[${m.kind}]`;
    reportSheet({ kind: "message", id: `${chatId}:${m.seq}`, quote: text });
  }

  async function recall(m) {
    try {
      await chats.recall(chatId, m.seq);
    } catch (err) {
      toast(err.detail, { kind: "error" });
    }
  }

  function build(m) {
    const el = messageEl(m, { group: entry()?.kind === "group", onRetry: (x) => chats.retry(chatId, x.client_id) });
    const target = el.querySelector(".bubble, .msg-sticker");
    if (target) onLongPress(target, (at) => menuFor(m, at));
    return el;
  }

  function render() {
    const msgs = c.messages();
    const items = [];
    let prev = null;
    for (const m of msgs) {
      if (!prev || !sameDay(prev.created_at, m.created_at)) {
        const label = dayLabel(m.created_at);
        items.push({ key: `d:${label}:${keyOf(m)}`, v: label, build: () => h("div", { class: "conv-day", testid: "day-separator" }, h("span", {}, label)) });
      } else if (Date.parse(m.created_at) - Date.parse(prev.created_at) > GAP_MS) {
        const t = clockTime(m.created_at);
        items.push({ key: `t:${keyOf(m)}`, v: t, build: () => h("div", { class: "conv-time" }, t) });
      }
      items.push({ key: keyOf(m), v: m._v, build: () => build(m) });
      prev = m;
    }
    const next = new Map();
    let node = list.firstChild;
    for (const it of items) {
      let rec = els.get(it.key);
      if (!rec || rec.v !== it.v) {
        const el = it.build();
        if (rec?.el.isConnected && rec.el === node) node = node.nextSibling;
        rec?.el.remove();
        rec = { el, v: it.v };
      }
      next.set(it.key, rec);
      if (rec.el === node) node = node.nextSibling;
      else list.insertBefore(rec.el, node);
    }
    while (node) {
      const n = node.nextSibling;
      node.remove();
      node = n;
    }
    els = next;
    if (c.loaded && !c.hasMore && !msgs.length) mount(top, notice("No messages yet. Say hello!", "conv-empty"));
    else if (c.loaded && !c.hasMore) mount(top, h("div", { class: "conv-start", testid: "history-start" }));
    else if (c.loaded) mount(top, h("div", { class: "conv-more" }, spinner("Loading earlier messages…")));
  }

  function update(detail = {}) {
    if (detail.type === "older") {
      const fromBottom = body.scrollHeight - body.scrollTop;
      render();
      body.scrollTop = body.scrollHeight - fromBottom;
      return;
    }
    const wasNear = nearBottom();
    render();
    paintState();
    if (detail.type === "gone") toast(detail.how === "removed" ? "You were removed from this group chat" : "You left this group chat");
    const mineNew = detail.type === "pending";
    if (stick || wasNear || mineNew || detail.type === "history") {
      toBottom();
      stick = true;
    } else if (detail.type === "message") {
      unseen += 1;
      pill.hidden = false;
      pill.lastChild.textContent = `${unseen} new ${unseen === 1 ? "message" : "messages"}`;
    }
    if (document.visibilityState === "visible") chats.markRead(chatId);
  }

  pill.addEventListener("click", () => {
    stick = true;
    toBottom();
  });

  async function older() {
    if (!c.loaded || !c.hasMore || c.loadingOlder) return;
    try {
      await chats.loadOlder(chatId);
    } catch (err) {
      if (ctx.alive) toast(err.detail, { kind: "error" });
    }
  }

  // -- lifecycle ---------------------------------------------------------------------------

  async function start() {
    try {
      if (!chats.listLoaded()) await chats.loadList();
      if (!entry()) await chats.fetchChat(chatId);
    } catch (err) {
      if (!ctx.alive) return;
      if (!c.gone) {
        mount(list, h("div", { class: "banner banner--error", testid: "chat-error", role: "alert" }, err.detail || "This chat can't be opened."));
        input.setBlocked("This chat isn't available.");
        return;
      }
    }
    if (!ctx.alive) return;
    paintTitle();
    paintState();
    chats.setActive(chatId);
    if (entry()?.status === "invited") {
      mount(list);
      return;
    }
    try {
      await chats.ensureLoaded(chatId);
    } catch (err) {
      if (ctx.alive) toast(err.detail, { kind: "error" });
    }
    if (!ctx.alive) return;
    update({ type: "history" });
    if (entry()?.kind === "group" && !c.members) chats.loadMembers(chatId).catch(() => {});
  }

  ctx.on(`chat:${chatId}`, update);
  ctx.on(`typing:${chatId}`, paintTyping);
  ctx.on("chats", () => {
    paintTitle();
    paintState();
  });
  ctx.onCleanup(() => {
    chats.setActive(null);
    stopVoice();
  });

  const view = screen(ctx, {
    title: h("span", { class: "conv-head" }, title),
    subtitle: sub,
    pageTitle: "Chat",
    back: "/chats",
    actions: [info],
    testid: "screen-chat",
    cls: "screen--chat",
    body: [banner, top, list],
    footer: input.el,
    bodyRef: (main) => {
      body = main;
      main.addEventListener(
        "scroll",
        () => {
          stick = nearBottom();
          if (stick) {
            unseen = 0;
            pill.hidden = true;
          }
          if (main.scrollTop < 80) older();
        },
        { passive: true },
      );
      // Photos that finish loading grow the list: stay at the bottom if that is where I was.
      // The same when a panel opens under the input bar and the view shrinks.
      const ro = new ResizeObserver(() => stick && toBottom());
      ro.observe(list);
      ro.observe(main);
      ctx.onCleanup(() => ro.disconnect());
    },
  });
  view.dataset.chatId = String(chatId);
  input.el.prepend(pill);
  paintTitle();
  mount(list, spinner());
  start();
  return view;
}
