// #/contacts — the Contacts tab: new friends, group chats, tags, and my friends under A–Z
// headers with an index bar to jump along, and a search box that filters as you type.

import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import * as contacts from "../../data/contacts.js";
import * as store from "../../store.js";
import { avatar } from "../../ui/avatar.js";
import { badge, cell, group } from "../../ui/cells.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { searchInput } from "../../ui/search.js";

/** The name a friend is listed under: my remark, else their display name. */
export function friendName(f) {
  return f.remark || f.user.display_name || f.user.handle;
}

function matches(f, q) {
  const hay = [f.remark, f.user.display_name, f.user.handle, ...(f.tags || [])].join(" ").toLowerCase();
  return hay.includes(q);
}

export function friendRow(f, { testid = `friend-${f.user.handle}`, href = `#/contacts/u/${encodeURIComponent(f.user.handle)}` } = {}) {
  return h(
    "a",
    { class: "cell cell--link person-row", href, testid, dataset: { userId: String(f.user.id) } },
    avatar(f.user, { size: "sm" }),
    h("span", { class: "cell-body" }, h("span", { class: "cell-title person-name", testid: "friend-name" }, friendName(f))),
  );
}

/** The A–Z bar on the right edge: touch or drag along it to jump to a letter. */
function indexBar(letters, jump) {
  const hint = h("div", { class: "az-hint", "aria-hidden": "true", hidden: true });
  const bar = h(
    "nav",
    { class: "az-bar", testid: "az-index", "aria-label": "Jump to letter" },
    letters.map((l) => h("button", { type: "button", class: "az-letter", dataset: { letter: l }, testid: `az-${l}` }, l)),
  );
  let hideTimer = null;
  const go = (x, y) => {
    const el = document.elementFromPoint(x, y);
    const letter = el?.dataset?.letter;
    if (!letter) return;
    jump(letter);
    hint.textContent = letter;
    hint.hidden = false;
    clearTimeout(hideTimer);
    hideTimer = setTimeout(() => (hint.hidden = true), 600);
  };
  bar.addEventListener("pointerdown", (e) => {
    bar.setPointerCapture?.(e.pointerId);
    go(e.clientX, e.clientY);
  });
  bar.addEventListener("pointermove", (e) => {
    if (e.buttons || e.pointerType !== "mouse") go(e.clientX, e.clientY);
  });
  bar.addEventListener("click", (e) => e.target.dataset?.letter && jump(e.target.dataset.letter));
  return [bar, hint];
}

export function contactsView(ctx) {
  let query = "";
  const listHost = h("div", { class: "friends", testid: "friend-list" });
  const newCount = h("span", { class: "cell-badge" });
  const paintCount = () => mount(newCount, badge(contacts.pendingCount(), { testid: "new-friends-badge" }));
  paintCount();
  ctx.on("contacts:requests", paintCount);

  const top = group(
    cell({ icon: "userPlus", tone: "orange", title: "New Friends", testid: "contacts-new", href: "#/contacts/new", extra: newCount }),
    cell({ icon: "group", tone: "green", title: "Group Chats", testid: "contacts-groups", href: "#/contacts/groups" }),
    cell({ icon: "tag", tone: "blue", title: "Tags", testid: "contacts-tags", href: "#/contacts/tags" }),
  );
  let body = null;

  function jump(letter) {
    const head = listHost.querySelector(`[data-section="${CSS.escape(letter)}"]`);
    if (head && body) body.scrollTop = head.offsetTop - 4;
  }

  function paint() {
    const all = contacts.friends();
    if (all === null) return mount(listHost, spinner());
    const q = query.trim().toLowerCase();
    top.hidden = Boolean(q);
    if (!all.length) {
      const handle = store.state.user?.handle;
      return mount(
        listHost,
        emptyState({
          iconName: "contacts",
          title: "No contacts yet",
          text: handle ? `Friends can find you by your Hutong ID: ${handle}` : "Friends you add will be listed here.",
          testid: "empty-contacts",
          action: h("a", { class: "btn btn--ghost btn--small", href: "#/contacts/add", testid: "empty-add" }, "Add contacts"),
        }),
      );
    }
    if (q) {
      const found = all.filter((f) => matches(f, q));
      return mount(
        listHost,
        found.length
          ? h("div", { class: "cells" }, found.map((f) => friendRow(f)))
          : h("p", { class: "cells-foot center", testid: "no-match" }, `No friends match “${query.trim()}”`),
      );
    }
    const sections = [];
    let current = null;
    for (const f of all) {
      if (!current || current.letter !== f.letter) sections.push((current = { letter: f.letter, rows: [] }));
      current.rows.push(f);
    }
    mount(
      listHost,
      sections.map((s) => [h("div", { class: "az-head", dataset: { section: s.letter } }, s.letter), h("div", { class: "cells az-cells" }, s.rows.map((f) => friendRow(f)))]),
      h("p", { class: "cells-foot center", testid: "friend-count" }, `${all.length} ${all.length === 1 ? "friend" : "friends"}`),
      indexBar(contacts.letters(), jump),
    );
  }

  paint();
  ctx.on("contacts:friends", paint);
  if (contacts.friends() === null) contacts.loadFriends().catch(() => {});

  const search = searchInput({
    placeholder: "Search",
    testid: "contacts-search",
    onInput: (v) => {
      query = v;
      paint();
    },
  });

  return screen(ctx, {
    title: "Contacts",
    tab: "contacts",
    testid: "screen-contacts",
    actions: [h("a", { class: "topbar-btn", href: "#/contacts/add", testid: "contacts-add", "aria-label": "Add contacts" }, icon("userPlus"))],
    body: [search, top, listHost],
    bodyRef: (main) => (body = main),
  });
}
