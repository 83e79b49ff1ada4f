// #/wallet/redpackets — Me → Wallet → Red Packets: the envelopes I received and the ones I sent,
// in two tabs. At the top, this year's total and count; then the list, newest first and paged.
// Each row fills in how the envelope went once it scrolls into view (opened shares, expired and
// how much came back, "Best Luck" when I was the luckiest); a tap opens the same envelope sheet
// the chats use, with who got what.
//
// The record API gives an all-time total only, so this year's figures are summed here from the
// pages that cover the year (up to YEAR_PAGES pages; beyond that the figures say "at least").

import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import { clockTime, day } from "../../format.js";
import * as chats from "../../data/chats.js";
import * as users from "../../data/users.js";
import * as wallet from "../../data/wallet.js";
import * as store from "../../store.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { toast } from "../../ui/feedback.js";
import { chatName } from "../chats/common.js";
import { openEnvelope } from "../chats/redpacket.js";

const YEAR_PAGES = 10; // × 100 envelopes
const MORE_PAGE = 50;
const DETAIL_WORKERS = 3;

const KIND = { direct: "Red Packet", lucky: "Lucky Red Packet", normal: "Normal Red Packet", exclusive: "Exclusive Red Packet" };

function chatLabel(id) {
  const c = chats.chat(id);
  return c ? chatName(c) : "";
}

/** How a sent envelope went: "3/10 opened", "Expired, 1/3 opened, ¥2.00 refunded". */
function sentStatus(env) {
  const opened = `${env.opened_count}/${env.shares} opened`;
  if (env.status === "expired") return env.refunded > 0 ? `Expired, ${opened}, ${wallet.money(env.refunded)} refunded` : `Expired, ${opened}`;
  if (env.status === "all_taken") return `All taken, ${opened}`;
  return opened;
}

export function redpacketsView(ctx) {
  const me = store.state.user?.id;
  const yearStart = new Date(new Date().getFullYear(), 0, 1).getTime();
  const year = new Date().getFullYear();
  let tab = ctx.query.tab === "sent" ? "sent" : "received";
  let generation = 0;
  let next = null;
  const details = new Map(); // envelope id → EnvelopeOut (or null if it can't be read)
  const rows = new Map(); // envelope id → row element
  const membersAsked = new Set();

  const summary = h("div", { class: "rp-record-summary", testid: "rp-record-summary" });
  const list = h("div", { class: "cells rp-record-list", testid: "rp-record-list" });
  const more = h("button", { type: "button", class: "btn btn--ghost btn--block", testid: "rp-record-more", hidden: true }, "Load more");
  const body = h("div", {}, spinner());

  // -- details, a few at a time, for the rows that are on screen -------------------------
  const queue = [];
  let running = 0;
  const pump = () => {
    while (running < DETAIL_WORKERS && queue.length) {
      const id = queue.shift();
      if (details.has(id)) continue;
      running += 1;
      details.set(id, undefined);
      wallet
        .redpacket(id, { signal: ctx.signal })
        .then(
          (env) => details.set(id, env),
          () => details.set(id, null),
        )
        .finally(() => {
          running -= 1;
          if (!ctx.alive) return;
          const row = rows.get(id);
          if (row) paintStatus(row);
          pump();
        });
    }
  };
  const seen =
    "IntersectionObserver" in window
      ? new IntersectionObserver((entries) => {
          for (const e of entries) {
            if (!e.isIntersecting) continue;
            seen.unobserve(e.target);
            queue.push(Number(e.target.dataset.id));
          }
          pump();
        })
      : null;
  ctx.onCleanup(() => seen?.disconnect());

  function paintStatus(row) {
    const id = Number(row.dataset.id);
    const env = details.get(id);
    const status = row.querySelector(".rp-record-status");
    if (!env) return;
    if (row.dataset.direction === "sent") {
      status.textContent = sentStatus(env);
      row.dataset.status = env.status;
      row.dataset.opened = String(env.opened_count);
    } else if (env.luckiest_user_id === me) {
      mount(status, h("span", { class: "rp-luckiest", testid: "rp-record-luckiest" }, "Best Luck"));
    }
  }

  function paintName(row, b) {
    const title = row.querySelector(".cell-title");
    if (row.dataset.direction === "sent") {
      title.textContent = b.greeting || KIND[b.kind];
    } else {
      const name = users.get(b.sender_id) ? users.nameOf(b.sender_id) : chatLabel(b.chat_id) || users.nameOf(b.sender_id);
      title.textContent = name;
    }
  }

  // Names of senders I have not met in this session: ask their chats for the member list once.
  async function learnNames(items) {
    const chatIds = new Set(items.filter((b) => !users.get(b.sender_id) && !membersAsked.has(b.chat_id)).map((b) => b.chat_id));
    for (const id of chatIds) {
      membersAsked.add(id);
      try {
        await chats.loadMembers(id);
      } catch {
        // no longer in that chat: the chat's name (or "Someone") stays
      }
    }
    if (!ctx.alive) return;
    for (const b of items) {
      const row = rows.get(b.id);
      if (row) paintName(row, b);
    }
  }

  async function show(b) {
    if (!membersAsked.has(b.chat_id)) {
      membersAsked.add(b.chat_id);
      await chats.loadMembers(b.chat_id).catch(() => {});
    }
    if (!ctx.alive) return;
    await openEnvelope({ body: { envelope_id: b.id } });
    details.delete(b.id);
    queue.push(b.id);
    pump();
  }

  function row(b) {
    const sent = tab === "sent";
    const when = `${day(b.created_at)} ${clockTime(b.created_at)}`;
    const note = sent ? [chatLabel(b.chat_id), when].filter(Boolean).join(" · ") : [KIND[b.kind], when].join(" · ");
    const el = h(
      "button",
      {
        type: "button",
        class: "cell cell--link rp-record",
        testid: `rp-record-${b.id}`,
        dataset: { id: String(b.id), amount: String(b.amount), direction: tab, chat: String(b.chat_id) },
        onclick: () => show(b).catch((err) => toast(err.detail || "Could not open the red packet.", { kind: "error" })),
      },
      h("span", { class: ["cell-icon", "tone-orange"] }, icon("redpacket", { size: 20 })),
      h("span", { class: "cell-body" }, h("span", { class: "cell-title" }), h("span", { class: "cell-note" }, note)),
      h("span", { class: "rp-record-right" }, h("span", { class: "rp-record-amount", testid: "rp-record-amount" }, wallet.money(b.amount)), h("span", { class: "rp-record-status", testid: "rp-record-status" })),
    );
    paintName(el, b);
    rows.set(b.id, el);
    if (details.has(b.id)) paintStatus(el);
    else if (seen) seen.observe(el);
    else queue.push(b.id);
    return el;
  }

  function paintSummary(inYear, capped) {
    const fen = inYear.reduce((s, b) => s + b.amount, 0);
    const plus = capped ? "+" : "";
    const label = tab === "sent" ? `Sent in ${year}` : `Received in ${year}`;
    const count = `${inYear.length}${plus} ${inYear.length === 1 && !capped ? "red packet" : "red packets"}`;
    mount(
      summary,
      h("p", { class: "rp-record-avatar" }, icon("redpacket", { size: 36 })),
      h("p", { class: "rp-record-label" }, `${users.nameOf(me, { fallback: "" })} · ${label}`),
      h("p", { class: "rp-record-total", testid: "rp-record-year-total", dataset: { fen: String(fen) } }, `${wallet.money(fen)}${plus}`),
      h("p", { class: "rp-record-count", testid: "rp-record-year-count", dataset: { count: String(inYear.length) } }, tab === "sent" ? `${count} sent` : `${count} received`),
    );
  }

  async function load() {
    const gen = ++generation;
    rows.clear();
    seen?.disconnect();
    queue.length = 0;
    mount(body, spinner());
    const items = [];
    let before = null;
    let pages = 0;
    try {
      for (;;) {
        const page = await wallet.redpackets(tab, { before, limit: 100, signal: ctx.signal });
        if (gen !== generation || !ctx.alive) return;
        items.push(...page.envelopes);
        before = page.next_before;
        pages += 1;
        const last = items[items.length - 1];
        if (!before || !last || Date.parse(last.created_at) < yearStart || pages >= YEAR_PAGES) break;
      }
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive || gen !== generation) return;
      mount(body, h("div", { class: "banner banner--error", testid: "wallet-error", role: "alert" }, err.detail || "Something went wrong."));
      return;
    }
    next = before;
    const inYear = items.filter((b) => Date.parse(b.created_at) >= yearStart);
    const capped = Boolean(next) && inYear.length === items.length;
    paintSummary(inYear, capped);
    mount(list, items.map(row));
    more.hidden = !next;
    mount(
      body,
      summary,
      items.length ? list : emptyState({ iconName: "redpacket", title: tab === "sent" ? "No red packets sent yet" : "No red packets received yet", text: "Red packets are sent from a chat's + panel.", testid: "rp-record-empty" }),
      h("div", { class: "bills-more" }, more),
    );
    learnNames(items);
  }

  more.addEventListener("click", async () => {
    const gen = generation;
    more.disabled = true;
    try {
      const page = await wallet.redpackets(tab, { before: next, limit: MORE_PAGE, signal: ctx.signal });
      if (gen !== generation || !ctx.alive) return;
      next = page.next_before;
      list.append(...page.envelopes.map(row));
      more.hidden = !next;
      learnNames(page.envelopes);
    } catch (err) {
      if (err.name !== "AbortError") toast(err.detail || "Could not load more.", { kind: "error" });
    } finally {
      more.disabled = false;
    }
  });

  const tabButtons = ["received", "sent"].map((t) =>
    h(
      "button",
      {
        type: "button",
        class: ["rp-record-tab", t === tab && "is-active"],
        testid: `rp-tab-${t}`,
        "aria-pressed": String(t === tab),
        onclick: () => {
          if (t === tab) return;
          tab = t;
          for (const b of tabButtons) {
            const on = b.dataset.tab === tab;
            b.classList.toggle("is-active", on);
            b.setAttribute("aria-pressed", String(on));
          }
          details.clear();
          load();
        },
        dataset: { tab: t },
      },
      t === "sent" ? "Sent" : "Received",
    ),
  );

  load();
  // Someone opened one of mine, or one came back: refresh that row's status.
  const recheck = (id) => {
    if (!rows.has(id)) return;
    details.delete(id);
    queue.push(id);
    pump();
  };
  ctx.on("event", ({ event }) => {
    if (event.kind === "redpacket.opened" || event.kind === "redpacket.refunded") recheck(Number(event.payload?.envelope_id));
  });

  return screen(ctx, {
    title: "Red Packets",
    back: "/wallet",
    testid: "screen-wallet-redpackets",
    cls: "screen--redpackets",
    body: [h("div", { class: "rp-record-tabs", role: "group", "aria-label": "Direction" }, tabButtons), body],
  });
}
