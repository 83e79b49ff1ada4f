// A chat's details. #/chats/:id/info: members (add, remove), and for groups the name, QR code,
// announcement and mute-all; for me, mute and pin; clear the history; leave the group.
// #/chats/:id/members: everyone with their role, and what the owner/admins may do to each.
// #/chats/:id/name, /announcement, /qr: the group's name, announcement and join code.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import * as chats from "../../data/chats.js";
import * as users from "../../data/users.js";
import { navigate } from "../../router.js";
import * as store from "../../store.js";
import { avatar } from "../../ui/avatar.js";
import { cell, group, switchCell } from "../../ui/cells.js";
import { actionSheet, confirmSheet, toast } from "../../ui/feedback.js";
import { makeForm } from "../../ui/form.js";
import { screen, spinner } from "../../ui/layout.js";
import { chatName } from "./common.js";

const ROLE = { owner: "Owner", admin: "Admin" };

/** Wait for the chat to be known (a direct link opens before the list loads). */
async function loadChat(id) {
  if (!chats.listLoaded()) await chats.loadList();
  return chats.chat(id) || (await chats.fetchChat(id));
}

function memberTile(m) {
  const name = users.nameOf(m.user);
  return h("a", { class: "member-tile", href: `#/contacts/u/${encodeURIComponent(m.user.handle)}?back=${encodeURIComponent(location.hash.slice(1))}`, testid: `member-${m.user.handle}`, dataset: { role: m.role } }, avatar(m.user, { size: "lg" }), h("span", { class: "member-name" }, name));
}

function actionTile(iconName, label, href, testid) {
  return h("a", { class: "member-tile", href, testid, "aria-label": label }, h("span", { class: "member-add" }, icon(iconName, { size: 26 })), h("span", { class: "member-name" }, ""));
}

async function run(fn, done) {
  try {
    const out = await fn();
    if (done) toast(done, { kind: "success" });
    return out;
  } catch (err) {
    toast(err.detail, { kind: "error" });
    throw err;
  }
}

export function chatInfoView(ctx) {
  const chatId = Number(ctx.params.id);
  const body = h("div", { class: "chat-info" }, spinner());
  const c = chats.convo(chatId);
  let switches = null;

  function paint() {
    const e = chats.chat(chatId);
    if (!e) return;
    const isGroup = e.kind === "group";
    const admin = isGroup && e.role !== "member";
    const tiles = [];
    if (isGroup) {
      for (const m of (c.members || []).slice(0, 19)) tiles.push(memberTile(m));
      tiles.push(actionTile("plus", "Add members", `#/chats/${chatId}/invite`, "info-invite"));
      if (admin) tiles.push(actionTile("close", "Remove members", `#/chats/${chatId}/members`, "info-remove"));
    } else if (e.peer) {
      tiles.push(memberTile({ user: e.peer, role: "member" }));
      tiles.push(actionTile("plus", "Start a group chat", "#/chats/new", "info-new-group"));
    }
    const mute = switchCell({ title: "Mute Notifications", checked: e.muted, testid: "switch-mute", onChange: (v) => run(() => chats.updateSettings(chatId, { muted: v })) });
    const pin = switchCell({ title: "Pin Chat", checked: e.pinned, testid: "switch-pin", onChange: (v) => run(() => chats.updateSettings(chatId, { pinned: v })) });
    switches = { mute, pin };
    const sections = [h("div", { class: "cells member-grid", testid: "member-grid" }, tiles)];
    if (isGroup) {
      if ((c.members?.length || 0) > 19) sections.push(h("div", { class: "cells" }, cell({ title: `View All Members (${e.member_count})`, href: `#/chats/${chatId}/members`, testid: "info-all-members" })));
      sections.push(
        group(
          cell({ title: "Group Name", value: h("span", { testid: "info-name" }, chatName(e)), href: `#/chats/${chatId}/name`, testid: "info-rename" }),
          cell({ title: "Group QR Code", value: icon("qr", { size: 18 }), href: `#/chats/${chatId}/qr`, testid: "info-qr" }),
          cell({ title: "Group Announcement", note: e.announcement || "None", href: `#/chats/${chatId}/announcement`, testid: "info-announcement" }),
          cell({ title: "Members", value: String(e.member_count), href: `#/chats/${chatId}/members`, testid: "info-members" }),
        ),
      );
      if (admin) {
        sections.push(
          h(
            "div",
            { class: "cells" },
            switchCell({ title: "Mute All Members", note: "Only the owner and admins can speak", checked: e.mute_all, testid: "switch-mute-all", onChange: (v) => run(() => api.patch(`/chats/${chatId}`, { mute_all: v })).then(() => chats.refreshChat(chatId, 0)) }).el,
          ),
        );
      }
    }
    sections.push(h("div", { class: "cells" }, mute.el, pin.el));
    sections.push(h("div", { class: "cells" }, h("button", { type: "button", class: "cell cell--danger", testid: "info-clear", onclick: clear }, h("span", { class: "cell-title" }, "Clear Chat History"))));
    if (isGroup) sections.push(h("div", { class: "cells" }, h("button", { type: "button", class: "cell cell--danger", testid: "info-leave", onclick: leave }, h("span", { class: "cell-title" }, "Leave Group"))));
    mount(body, sections);
  }

  async function clear() {
    const ok = await confirmSheet({ title: "Clear this chat's history?", message: "Messages are removed from your devices. Others keep theirs.", confirmLabel: "Clear", danger: true });
    if (!ok) return;
    try {
      await chats.deleteChat(chatId);
      toast("Chat history cleared", { kind: "success" });
      navigate("/chats", { replace: true });
    } catch (err) {
      toast(err.detail, { kind: "error" });
    }
  }

  async function leave() {
    const ok = await confirmSheet({ title: "Leave this group?", message: "You won't get its messages any more. The group isn't told beyond a notice.", confirmLabel: "Leave", danger: true });
    if (!ok) return;
    try {
      await api.post(`/chats/${chatId}/leave`);
      navigate("/chats", { replace: true });
    } catch (err) {
      toast(err.detail, { kind: "error" });
    }
  }

  (async () => {
    try {
      const e = await loadChat(chatId);
      if (e.kind === "group") await chats.loadMembers(chatId);
    } catch (err) {
      if (ctx.alive) mount(body, h("div", { class: "banner banner--error", testid: "form-error" }, err.detail));
      return;
    }
    if (ctx.alive) paint();
  })();
  ctx.on("chats", () => {
    const e = chats.chat(chatId);
    if (!e) return;
    if (switches) {
      switches.mute.set(e.muted);
      switches.pin.set(e.pinned);
    }
  });
  ctx.on(`chat:${chatId}`, (d) => {
    if (d.type === "members" || d.type === "info") paint();
    if (d.type === "gone") navigate(`/chats/${chatId}`, { replace: true });
  });

  return screen(ctx, { title: "Chat Info", back: `/chats/${chatId}`, testid: "screen-chat-info", body });
}

export function membersView(ctx) {
  const chatId = Number(ctx.params.id);
  const c = chats.convo(chatId);
  const list = h("div", { testid: "member-list" }, spinner());
  const me = store.state.user.id;

  async function act(m) {
    const e = chats.chat(chatId);
    const mine = e?.role || "member";
    const actions = [{ label: "View Profile", value: "profile", testid: "member-profile" }];
    if (m.user.id !== me) {
      if (mine === "owner" && m.role !== "owner") {
        actions.push(m.role === "admin" ? { label: "Remove Admin", value: "unadmin", testid: "member-unadmin" } : { label: "Make Admin", value: "admin", testid: "member-admin" });
        actions.push({ label: "Make Group Owner", value: "owner", testid: "member-owner" });
      }
      if ((mine === "owner" && m.role !== "owner") || (mine === "admin" && m.role === "member")) actions.push({ label: "Remove from Group", value: "remove", danger: true, testid: "member-remove" });
    }
    const name = users.nameOf(m.user);
    const choice = await actionSheet({ title: name, actions, testid: "member-actions" });
    try {
      if (choice === "profile") navigate(`/contacts/u/${encodeURIComponent(m.user.handle)}?back=${encodeURIComponent(`/chats/${chatId}/members`)}`);
      else if (choice === "admin" || choice === "unadmin") await run(() => api.post(`/chats/${chatId}/admins`, { user_id: m.user.id, admin: choice === "admin" }), choice === "admin" ? `${name} is now an admin` : `${name} is no longer an admin`);
      else if (choice === "owner") {
        if (await confirmSheet({ title: `Make ${name} the group owner?`, message: "You become a regular member.", confirmLabel: "Transfer" })) await run(() => api.post(`/chats/${chatId}/owner`, { user_id: m.user.id }), `${name} is now the owner`);
      } else if (choice === "remove") {
        if (await confirmSheet({ title: `Remove ${name} from the group?`, confirmLabel: "Remove", danger: true })) await run(() => api.del(`/chats/${chatId}/members/${m.user.id}`), `${name} was removed`);
      } else return;
    } catch {
      return;
    }
    chats.refreshChat(chatId, 0);
    chats.loadMembers(chatId).catch(() => {});
  }

  function paint() {
    if (!c.members) return;
    mount(
      list,
      h(
        "div",
        { class: "cells" },
        c.members.map((m) =>
          h(
            "button",
            { type: "button", class: "cell cell--link person-row", testid: `member-row-${m.user.handle}`, dataset: { role: m.role }, onclick: () => act(m) },
            avatar(m.user, { size: "sm" }),
            h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, users.nameOf(m.user), m.user.id === me ? h("span", { class: "chip" }, "You") : null)),
            ROLE[m.role] ? h("span", { class: ["chip", m.role === "owner" && "chip--green"], testid: "member-role" }, ROLE[m.role]) : null,
          ),
        ),
      ),
    );
  }

  (async () => {
    try {
      await loadChat(chatId);
      await chats.loadMembers(chatId);
    } catch (err) {
      if (ctx.alive) mount(list, h("div", { class: "banner banner--error" }, err.detail));
    }
  })();
  ctx.on(`chat:${chatId}`, (d) => d.type === "members" && paint());
  paint();
  return screen(ctx, { title: "Group Members", back: `/chats/${chatId}/info`, testid: "screen-members", body: list });
}

export function groupNameView(ctx) {
  const chatId = Number(ctx.params.id);
  const body = h("div", {}, spinner());
  (async () => {
    let e;
    try {
      e = await loadChat(chatId);
    } catch (err) {
      if (ctx.alive) mount(body, h("div", { class: "banner banner--error" }, err.detail));
      return;
    }
    if (!ctx.alive) return;
    const form = makeForm({
      testid: "group-name-form",
      fields: [{ name: "name", label: "Name", value: e.name === "Group chat" ? "" : e.name, maxlength: 60, required: true }],
      submitLabel: "Save",
      submitTestid: "group-name-save",
      onSubmit: async (v) => {
        await api.patch(`/chats/${chatId}`, { name: v.name.trim() });
        chats.refreshChat(chatId, 0);
        navigate(`/chats/${chatId}/info`, { replace: true });
      },
    });
    mount(body, form.el, h("p", { class: "cells-foot" }, "Everyone in the group sees the new name."));
  })();
  return screen(ctx, { title: "Group Name", back: `/chats/${chatId}/info`, testid: "screen-group-name", body });
}

export function announcementView(ctx) {
  const chatId = Number(ctx.params.id);
  const body = h("div", {}, spinner());
  (async () => {
    let e;
    try {
      e = await loadChat(chatId);
    } catch (err) {
      if (ctx.alive) mount(body, h("div", { class: "banner banner--error" }, err.detail));
      return;
    }
    if (!ctx.alive) return;
    if (e.role === "member") {
      return mount(body, h("div", { class: "announcement", testid: "announcement-text" }, e.announcement || "No announcement yet."), h("p", { class: "cells-foot" }, "Only the group owner and admins can edit the announcement."));
    }
    const form = makeForm({
      testid: "announcement-form",
      fields: [{ name: "announcement", label: "Announcement", value: e.announcement, multiline: true, rows: 6, maxlength: 2000, counter: true, spellcheck: "true" }],
      submitLabel: "Publish",
      submitTestid: "announcement-save",
      onSubmit: async (v) => {
        await api.patch(`/chats/${chatId}`, { announcement: v.announcement.trim() });
        chats.refreshChat(chatId, 0);
        toast("Announcement published", { kind: "success" });
        navigate(`/chats/${chatId}/info`, { replace: true });
      },
    });
    mount(body, form.el);
  })();
  return screen(ctx, { title: "Group Announcement", back: `/chats/${chatId}/info`, testid: "screen-announcement", body });
}

export function groupQrView(ctx) {
  const chatId = Number(ctx.params.id);
  const body = h("div", { class: "myqr" }, spinner());
  (async () => {
    try {
      const e = await loadChat(chatId);
      const code = await api.post(`/chats/${chatId}/qr`);
      if (!ctx.alive) return;
      mount(
        body,
        h(
          "div",
          { class: "myqr-card", testid: "group-qr-card" },
          h("div", { class: "myqr-who" }, h("span", { class: "avatar avatar--lg avatar--group" }, icon("group", { size: 28 })), h("div", {}, h("p", { class: "myqr-name" }, chatName(e)), h("p", { class: "cell-note" }, `${e.member_count} members`))),
          h("div", { class: "myqr-frame" }, h("img", { class: "myqr-img", src: code.png_url, alt: "Group QR code", width: 260, height: 260, testid: "group-qr-image", dataset: { qrUrl: code.url } })),
          h("p", { class: "myqr-caption", testid: "group-qr-expiry" }, `Valid for 7 days (until ${new Date(code.expires_at).toLocaleDateString()}). Scan it to join the group.`),
        ),
        h("div", { class: "myqr-actions" }, h("a", { class: "btn btn--ghost btn--small", href: code.png_url, download: "hutong-group.png" }, icon("download", { size: 16 }), "Save Image")),
      );
    } catch (err) {
      if (ctx.alive) mount(body, h("div", { class: "banner banner--error", testid: "form-error" }, err.detail));
    }
  })();
  return screen(ctx, { title: "Group QR Code", back: `/chats/${chatId}/info`, testid: "screen-group-qr", cls: "screen--qr", body });
}
