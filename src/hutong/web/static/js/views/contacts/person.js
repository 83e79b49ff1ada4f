// #/contacts/u/:handle — someone's profile as I see them: a friend (remark, tags, send a
// message, delete, block), a stranger (add to contacts), or someone whose request waits for me.
// `?source=qr&token=…` (from a scanned code) or `?source=phone` says how I found them.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import * as chats from "../../data/chats.js";
import * as contacts from "../../data/contacts.js";
import { navigate, safeNext } from "../../router.js";
import { avatar, verifiedBadge } from "../../ui/avatar.js";
import { cell, group } from "../../ui/cells.js";
import { actionSheet, confirmSheet, toast } from "../../ui/feedback.js";
import { screen, spinner } from "../../ui/layout.js";

export function personPath(handle, query = {}) {
  const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v)).toString();
  return `/contacts/u/${encodeURIComponent(handle)}${qs ? `?${qs}` : ""}`;
}

function actionButton({ iconName, label, testid, onClick, primary = false, disabled = false }) {
  return h("button", { type: "button", class: ["profile-action", primary && "is-primary"], testid, onclick: onClick, disabled }, iconName ? icon(iconName, { size: 20 }) : null, label);
}

/** Open (or create) the direct chat with a friend and go there. */
export async function startChat(userId) {
  try {
    const c = await chats.openDirect(userId);
    navigate(`/chats/${c.id}`);
  } catch (err) {
    toast(err.detail, { kind: "error" });
  }
}

function profileHead(p) {
  const u = p.user;
  const rel = p.relationship;
  const shown = rel.remark || u.display_name;
  return h(
    "div",
    { class: "person-card", testid: "person-card", dataset: { userId: String(u.id), friend: String(rel.is_friend) } },
    avatar(u, { size: "xl", testid: "person-avatar" }),
    h(
      "div",
      { class: "profile-main" },
      h("p", { class: "profile-name" }, h("span", { testid: "person-name" }, shown), verifiedBadge(u, { testid: "person-verified" })),
      rel.remark ? h("p", { class: "profile-handle" }, "Name: ", h("span", { testid: "person-display-name" }, u.display_name)) : null,
      h("p", { class: "profile-handle" }, "Hutong ID: ", h("span", { testid: "person-handle" }, u.handle)),
      u.region ? h("p", { class: "profile-region" }, "Region: ", u.region) : null,
    ),
  );
}

export function personView(ctx) {
  const handle = ctx.params.handle;
  const { source, token } = ctx.query;
  const body = h("div", { class: "person" }, spinner());
  const more = h("button", { type: "button", class: "topbar-btn", testid: "person-more", "aria-label": "More", hidden: true }, icon("more"));
  let person = null;

  async function load() {
    try {
      person = await api.get(`/contacts/users/${encodeURIComponent(handle)}`, { signal: ctx.signal });
      if (!ctx.alive) return;
      paint();
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      mount(body, h("div", { class: "banner banner--error", testid: "form-error", role: "alert" }, err.detail));
    }
  }

  async function run(fn, done) {
    try {
      await fn();
      if (done) toast(done, { kind: "success" });
    } catch (err) {
      toast(err.detail, { kind: "error" });
    }
    if (ctx.alive) load();
  }

  async function del() {
    const name = person.relationship.remark || person.user.display_name;
    const ok = await confirmSheet({ title: `Delete ${name}?`, message: "You are removed from their contacts too, and your chat history with them is kept.", confirmLabel: "Delete", danger: true });
    if (!ok) return;
    try {
      await api.del(`/contacts/friends/${person.user.id}`);
      toast(`${name} was deleted`, { kind: "success" });
      contacts.loadFriends().catch(() => {});
      navigate("/contacts", { replace: true });
    } catch (err) {
      toast(err.detail, { kind: "error" });
    }
  }

  async function block() {
    const ok = await confirmSheet({ title: `Block ${person.user.display_name}?`, message: "They won't be able to message you, send you requests, or see your profile.", confirmLabel: "Block", danger: true });
    if (ok) run(() => api.put(`/contacts/blocks/${person.user.id}`), "Blocked");
  }

  const unblock = () => run(() => api.del(`/contacts/blocks/${person.user.id}`), "Unblocked");

  more.addEventListener("click", async () => {
    if (!person) return;
    const rel = person.relationship;
    const actions = [];
    if (rel.is_friend) actions.push({ label: "Set Remark and Tags", value: "remark", testid: "action-remark" });
    actions.push(rel.blocked_by_me ? { label: "Unblock", value: "unblock", testid: "action-unblock" } : { label: "Block", value: "block", testid: "action-block", danger: true });
    if (rel.is_friend) actions.push({ label: "Delete Contact", value: "delete", testid: "action-delete", danger: true });
    const choice = await actionSheet({ title: person.user.display_name, actions, testid: "person-actions" });
    if (choice === "remark") navigate(`${personPath(handle)}/remark`);
    else if (choice === "block") block();
    else if (choice === "unblock") unblock();
    else if (choice === "delete") del();
  });

  function paint() {
    const u = person.user;
    const rel = person.relationship;
    more.hidden = rel.is_self;
    const rows = [];
    if (rel.is_friend) {
      rows.push(
        group(
          cell({
            title: "Remark and Tags",
            testid: "person-remark",
            href: `#${personPath(handle)}/remark`,
            value: rel.tags.length ? h("span", { class: "tag-list", testid: "person-tags" }, rel.tags.map((t) => h("span", { class: "chip" }, t))) : null,
          }),
        ),
      );
    }
    if (u.bio) rows.push(group(cell({ title: "What's up", value: h("span", { class: "cell-text", testid: "person-bio" }, u.bio) })));
    const actions = [];
    if (rel.is_self) {
      actions.push(actionButton({ iconName: "qr", label: "My QR Code", testid: "person-my-qr", onClick: () => navigate("/contacts/qr") }));
    } else if (rel.blocked_by_me) {
      rows.push(h("p", { class: "cells-foot", testid: "person-blocked" }, "You blocked this person. They can't message you or see your profile."));
      actions.push(actionButton({ iconName: "block", label: "Unblock", testid: "person-unblock", onClick: unblock }));
    } else if (rel.is_friend) {
      actions.push(actionButton({ iconName: "message", label: "Send Message", testid: "person-message", primary: true, onClick: () => startChat(u.id) }));
      actions.push(actionButton({ iconName: "wallet", label: "Transfer", testid: "person-transfer", onClick: () => navigate(`/wallet/transfer/${u.id}?back=${encodeURIComponent(personPath(handle))}`) }));
    } else if (rel.incoming_request_id) {
      actions.push(
        actionButton({
          iconName: "check",
          label: "Accept Friend Request",
          testid: "person-accept",
          primary: true,
          onClick: () => run(() => contacts.accept(rel.incoming_request_id), "You are now friends"),
        }),
      );
    } else if (rel.outgoing_request_id) {
      actions.push(actionButton({ iconName: "clock", label: "Request Sent", testid: "person-pending", disabled: true }));
      actions.push(
        actionButton({
          label: "Withdraw Request",
          testid: "person-withdraw",
          onClick: () => run(() => api.post(`/contacts/requests/${rel.outgoing_request_id}/withdraw`), "Request withdrawn"),
        }),
      );
    } else {
      actions.push(
        actionButton({
          iconName: "userPlus",
          label: "Add to Contacts",
          testid: "person-add",
          primary: true,
          onClick: () => navigate(`${personPath(handle)}/request?${new URLSearchParams(Object.entries({ source: source || person.source || "handle", token: token || "" }).filter(([, v]) => v))}`),
        }),
      );
    }
    mount(body, profileHead(person), rows, h("div", { class: "profile-actions" }, actions));
  }

  ctx.on("contacts:friends", () => person && load());
  ctx.on("contacts:requests", () => person && load());
  load();

  return screen(ctx, { title: "", pageTitle: "Profile", back: safeNext(ctx.query.back) || "/contacts", actions: [more], testid: "screen-person", cls: "screen--person", body });
}
