// Choosing friends: #/chats/new starts a group chat with them, #/chats/:id/invite adds them
// to a group (members already in it are shown ticked and greyed).

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import * as chats from "../../data/chats.js";
import * as contacts from "../../data/contacts.js";
import { navigate } from "../../router.js";
import { avatar } from "../../ui/avatar.js";
import { toast } from "../../ui/feedback.js";
import { banner } from "../../ui/form.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { searchInput } from "../../ui/search.js";

function pickerScreen(ctx, { title, back, testid, doneLabel, withName, existing = new Set(), ready = Promise.resolve(), onDone }) {
  const chosen = new Map(); // id → user
  let query = "";
  const list = h("div", { class: "picker", testid: "friend-picker" });
  const strip = h("div", { class: "picked", testid: "picked" });
  const error = banner({ testid: "picker-error" });
  const done = h("button", { type: "button", class: "btn btn--primary btn--small topbar-done", testid: "picker-done", disabled: true }, doneLabel);
  const name = withName ? h("input", { class: "picker-name", testid: "group-name", placeholder: "Group name (optional)", maxlength: 60, "aria-label": "Group name" }) : null;

  function paintDone() {
    done.disabled = chosen.size === 0;
    done.textContent = chosen.size ? `${doneLabel} (${chosen.size})` : doneLabel;
    mount(strip, [...chosen.values()].map((u) => avatar(u, { size: "sm" })));
  }

  function paint() {
    const all = contacts.friends();
    if (all === null) return mount(list, spinner());
    if (!all.length) return mount(list, emptyState({ iconName: "contacts", title: "No friends yet", text: "Add friends first, then start a group with them.", action: h("a", { class: "btn btn--ghost btn--small", href: "#/contacts/add" }, "Add Contacts") }));
    const q = query.trim().toLowerCase();
    const rows = all.filter((f) => !q || [f.remark, f.user.display_name, f.user.handle].join(" ").toLowerCase().includes(q));
    let letter = null;
    mount(
      list,
      rows.map((f) => {
        const u = f.user;
        const inGroup = existing.has(u.id);
        const box = h("input", { type: "checkbox", class: "pick-box", checked: inGroup || chosen.has(u.id), disabled: inGroup, testid: `pick-${u.handle}`, "aria-label": f.remark || u.display_name });
        box.addEventListener("change", () => {
          if (box.checked) chosen.set(u.id, u);
          else chosen.delete(u.id);
          paintDone();
        });
        const head = !q && f.letter !== letter ? h("div", { class: "az-head" }, (letter = f.letter)) : null;
        return [head, h("label", { class: ["cell", "person-row", "pick-row", inGroup && "is-disabled"] }, box, avatar(u, { size: "sm" }), h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, f.remark || u.display_name)))];
      }),
    );
  }

  done.addEventListener("click", async () => {
    if (!chosen.size) return;
    done.disabled = true;
    error.hide();
    try {
      await onDone([...chosen.keys()], name?.value.trim() || "");
    } catch (err) {
      error.show(err.detail);
      done.disabled = false;
    }
  });

  paint();
  paintDone();
  ready.then(() => ctx.alive && paint(), (err) => ctx.alive && error.show(err.detail));
  ctx.on("contacts:friends", paint);
  if (contacts.friends() === null) contacts.loadFriends().catch(() => {});

  return screen(ctx, {
    title,
    back,
    testid,
    actions: [done],
    body: [
      error.el,
      name ? h("div", { class: "picker-name-row" }, name) : null,
      strip,
      searchInput({
        placeholder: "Search",
        testid: "picker-search",
        onInput: (v) => {
          query = v;
          paint();
        },
      }),
      list,
    ],
  });
}

/** #/chats/new */
export function newGroupView(ctx) {
  return pickerScreen(ctx, {
    title: "Select Contacts",
    back: "/chats",
    testid: "screen-new-group",
    doneLabel: "Done",
    withName: true,
    onDone: async (ids, name) => {
      const c = await chats.createGroup(name, ids);
      navigate(`/chats/${c.id}`, { replace: true });
    },
  });
}

/** #/chats/:id/invite */
export function inviteView(ctx) {
  const chatId = Number(ctx.params.id);
  const existing = new Set();
  const ready = chats.loadMembers(chatId).then((members) => members.forEach((m) => existing.add(m.user.id)));
  return pickerScreen(ctx, {
    title: "Add Members",
    back: `/chats/${chatId}/info`,
    testid: "screen-invite",
    doneLabel: "Add",
    existing,
    ready,
    onDone: async (ids) => {
      const before = existing.size;
      const c = await api.post(`/chats/${chatId}/members`, { user_ids: ids });
      chats.refreshChat(chatId, 0);
      toast(c.member_count > before ? "Added to the group" : "Invited. They join once they accept.", { kind: "success" });
      navigate(`/chats/${chatId}/info`, { replace: true });
    },
  });
}
