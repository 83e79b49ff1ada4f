// Smaller lists off the Contacts tab: group chats, tags (and the friends under one), and the
// people I blocked.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import * as chats from "../../data/chats.js";
import * as contacts from "../../data/contacts.js";
import { safeNext } from "../../router.js";
import { avatar } from "../../ui/avatar.js";
import { cell } from "../../ui/cells.js";
import { confirmSheet, toast } from "../../ui/feedback.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { friendRow } from "./index.js";

/** #/contacts/groups */
export function groupsView(ctx) {
  const list = h("div", { testid: "group-list" });
  function paint() {
    if (!chats.listLoaded()) return mount(list, spinner());
    const groups = chats.list().filter((c) => c.kind === "group");
    if (!groups.length) {
      return mount(
        list,
        emptyState({ iconName: "group", title: "No group chats", text: "Start one with some of your friends.", testid: "empty-groups", action: h("a", { class: "btn btn--ghost btn--small", href: "#/chats/new" }, "New Group Chat") }),
      );
    }
    mount(
      list,
      h(
        "div",
        { class: "cells" },
        groups.map((c) =>
          h("a", { class: "cell cell--link person-row", href: `#/chats/${c.id}`, testid: `group-${c.id}` }, avatar({ handle: c.name, display_name: c.name, avatar_thumb_url: c.avatar_url }, { size: "sm" }), h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, `${c.name} (${c.member_count})`))),
        ),
      ),
    );
  }
  paint();
  ctx.on("chats", paint);
  return screen(ctx, { title: "Group Chats", back: "/contacts", testid: "screen-groups", body: list });
}

/** #/contacts/tags */
export function tagsView(ctx) {
  const list = h("div", { testid: "tag-list" }, spinner());
  (async () => {
    try {
      const tags = await api.get("/contacts/tags", { signal: ctx.signal });
      if (!ctx.alive) return;
      if (!tags.length) return mount(list, emptyState({ iconName: "tag", title: "No tags yet", text: "Tag friends on their profile (Remark and Tags) to group them here.", testid: "empty-tags" }));
      mount(list, h("div", { class: "cells" }, tags.map((t) => cell({ icon: "tag", tone: "blue", title: t.tag, value: String(t.count), href: `#/contacts/tags/${encodeURIComponent(t.tag)}`, testid: `tag-${t.tag}` }))));
    } catch (err) {
      if (err.name !== "AbortError" && ctx.alive) mount(list, h("div", { class: "banner banner--error" }, err.detail));
    }
  })();
  return screen(ctx, {
    title: "Tags",
    back: "/contacts",
    testid: "screen-tags",
    body: [list, h("div", { class: "cells" }, cell({ icon: "block", tone: "grey", title: "Blocked", href: "#/contacts/blocked", testid: "contacts-blocked" }))],
  });
}

/** #/contacts/tags/:tag */
export function tagView(ctx) {
  const tag = ctx.params.tag;
  const list = h("div", {});
  const paint = () => {
    const all = contacts.friends();
    if (all === null) return mount(list, spinner());
    mount(list, h("div", { class: "cells" }, all.filter((f) => f.tags.includes(tag)).map((f) => friendRow(f))));
  };
  paint();
  ctx.on("contacts:friends", paint);
  return screen(ctx, { title: tag, back: "/contacts/tags", testid: "screen-tag", body: list });
}

/** #/contacts/blocked */
export function blockedView(ctx) {
  const list = h("div", { testid: "blocked-list" }, spinner());
  async function load() {
    try {
      const rows = await api.get("/contacts/blocks", { signal: ctx.signal });
      if (!ctx.alive) return;
      if (!rows.length) return mount(list, emptyState({ iconName: "block", title: "Nobody blocked", text: "People you block can't message you, send you requests or see your profile.", testid: "empty-blocked" }));
      mount(
        list,
        h(
          "div",
          { class: "cells" },
          rows.map((b) =>
            h(
              "div",
              { class: "cell request-row", testid: `blocked-${b.user.handle}` },
              avatar(b.user, { size: "sm" }),
              h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, b.user.display_name), h("span", { class: "cell-note" }, b.user.handle)),
              h(
                "button",
                {
                  type: "button",
                  class: "btn btn--ghost btn--small",
                  testid: "unblock",
                  onclick: async () => {
                    if (!(await confirmSheet({ title: `Unblock ${b.user.display_name}?`, confirmLabel: "Unblock" }))) return;
                    try {
                      await api.del(`/contacts/blocks/${b.user.id}`);
                    } catch (err) {
                      toast(err.detail, { kind: "error" });
                    }
                    load();
                  },
                },
                "Unblock",
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      if (err.name !== "AbortError" && ctx.alive) mount(list, h("div", { class: "banner banner--error" }, err.detail));
    }
  }
  load();
  ctx.on("event:contacts.blocked", load);
  ctx.on("event:contacts.unblocked", load);
  return screen(ctx, { title: "Blocked", back: safeNext(ctx.query.back) || "/contacts/tags", testid: "screen-blocked", body: list });
}
