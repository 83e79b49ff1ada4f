// #/chats/search?q= — my messages containing some text, newest first; a hit opens its chat.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { chatTime } from "../../format.js";
import { navigate } from "../../router.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { searchInput } from "../../ui/search.js";
import { senderName, summary } from "./common.js";

export function chatSearchView(ctx) {
  const results = h("div", { testid: "search-results" });
  let seq = 0;

  async function find(q) {
    q = q.trim();
    const mine = ++seq;
    if (!q) return mount(results);
    mount(results, spinner());
    try {
      const hits = await api.get(`/chats/search?q=${encodeURIComponent(q)}`, { signal: ctx.signal });
      if (!ctx.alive || mine !== seq) return;
      if (!hits.length) return mount(results, emptyState({ iconName: "search", title: "No messages found", text: `Nothing you can see says “${q}”.`, testid: "search-empty" }));
      mount(
        results,
        h(
          "div",
          { class: "cells" },
          hits.map((hit) =>
            h(
              "a",
              { class: "cell cell--link", href: `#/chats/${hit.chat_id}`, testid: "search-hit" },
              h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, hit.chat_name), h("span", { class: "cell-note search-snippet" }, `${senderName(hit.message.sender_id)}: ${summary(hit.message)}`)),
              h("span", { class: "cell-value" }, chatTime(hit.message.created_at)),
            ),
          ),
        ),
      );
    } catch (err) {
      if (err.name !== "AbortError" && ctx.alive && mine === seq) mount(results, h("div", { class: "banner banner--error" }, err.detail));
    }
  }

  const q = ctx.query.q || "";
  const box = searchInput({ placeholder: "Search messages", testid: "message-search", value: q, onEnter: (v) => navigate(`/chats/search?q=${encodeURIComponent(v.trim())}`, { replace: true }), autofocus: !q });
  if (q) find(q);
  return screen(ctx, { title: "Search", back: "/chats", testid: "screen-chat-search", body: [box, results] });
}
