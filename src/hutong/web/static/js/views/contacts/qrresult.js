// What a scanned (or opened) Hutong code shows: a person with "Add to Contacts", a group chat
// with "Join", an invitation from a friend-to-be. Shared by Scan and the /qr/<token> screen.

import { api } from "../../api.js";
import { h } from "../../dom.js";
import { icon } from "../../icons.js";
import * as contacts from "../../data/contacts.js";
import { navigate } from "../../router.js";
import { avatar, verifiedBadge } from "../../ui/avatar.js";
import { toast } from "../../ui/feedback.js";
import { appIcon, openHash } from "../miniapps/common.js";
import { personPath, startChat } from "./person.js";

/** The token inside a scanned text ("https://host/qr/<token>"), or null. */
export function tokenIn(text) {
  const m = String(text || "").match(/\/qr\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)(?:[?#/.]|$)/);
  return m ? m[1] : null;
}

function button(label, testid, onClick, primary = true) {
  const b = h("button", { type: "button", class: ["btn", "btn--block", primary ? "btn--primary" : "btn--ghost"], testid }, label);
  b.addEventListener("click", async () => {
    b.disabled = true;
    try {
      await onClick();
    } finally {
      if (b.isConnected) b.disabled = false;
    }
  });
  return b;
}

function card(testid, dataset, ...children) {
  return h("div", { class: "scan-result", testid, dataset }, ...children);
}

function personResult(token, r) {
  const u = r.user;
  const rel = r.relationship;
  const actions = [];
  if (r.action === "add_friend" && rel.incoming_request_id) {
    actions.push(button("Accept Friend Request", "scan-accept", async () => {
      try {
        await contacts.accept(rel.incoming_request_id);
        toast(`You and ${u.display_name} are now friends`, { kind: "success" });
        navigate(personPath(u.handle));
      } catch (err) {
        toast(err.detail, { kind: "error" });
      }
    }));
  } else if (r.action === "add_friend" && rel.outgoing_request_id) {
    actions.push(h("p", { class: "scan-note", testid: "scan-pending" }, "Friend request sent. Waiting for them to accept."));
  } else if (r.action === "add_friend") {
    actions.push(button("Add to Contacts", "scan-add", () => navigate(`${personPath(u.handle)}/request?source=qr&token=${encodeURIComponent(token)}`)));
  } else if (r.action === "friend") {
    actions.push(button("Send Message", "scan-message", () => startChat(u.id)));
  } else if (r.action === "self") {
    actions.push(h("p", { class: "scan-note", testid: "scan-self" }, "This is your own QR code."));
  }
  actions.push(h("a", { class: "btn btn--ghost btn--block", href: `#${personPath(u.handle, { source: "qr", token })}`, testid: "scan-profile" }, "View Profile"));
  return card(
    "scan-person",
    { userId: String(u.id), action: r.action },
    avatar(u, { size: "xl" }),
    h("p", { class: "scan-title" }, h("span", { testid: "scan-name" }, rel.remark || u.display_name), verifiedBadge(u)),
    h("p", { class: "scan-sub" }, `Hutong ID: ${u.handle}`, u.region ? ` · ${u.region}` : ""),
    h("div", { class: "scan-actions" }, actions),
  );
}

function groupResult(token, r) {
  const join = async () => {
    try {
      const c = await api.post("/chats/join", { token });
      navigate(`/chats/${c.id}`);
    } catch (err) {
      toast(err.detail, { kind: "error" });
    }
  };
  return card(
    "scan-group",
    { groupId: String(r.group_id) },
    h("span", { class: "scan-icon" }, icon("group", { size: 40 })),
    h("p", { class: "scan-title", testid: "scan-group-name" }, r.name || "Group chat"),
    h("p", { class: "scan-sub" }, r.member_count ? `${r.member_count} members` : "", r.expires_at ? ` · code valid until ${new Date(r.expires_at).toLocaleDateString()}` : ""),
    h(
      "div",
      { class: "scan-actions" },
      r.is_member ? button("Open Group Chat", "scan-open-group", () => navigate(`/chats/${r.group_id}`)) : button("Join Group Chat", "scan-join", join),
    ),
  );
}

function inviteResult(token, r) {
  const u = r.inviter;
  const accept = async () => {
    try {
      await api.post("/contacts/invites/redeem", { token });
      contacts.loadFriends().catch(() => {});
      toast(`You and ${u.display_name} are now friends`, { kind: "success" });
      navigate(personPath(u.handle));
    } catch (err) {
      toast(err.detail, { kind: "error" });
    }
  };
  const actions =
    r.action === "accept"
      ? [button("Accept Invitation", "scan-redeem", accept)]
      : r.action === "friend"
        ? [button("Send Message", "scan-message", () => startChat(u.id))]
        : [h("p", { class: "scan-note" }, "This is your own invite link. Send it to the person you invite.")];
  return card(
    "scan-invite",
    {},
    avatar(u, { size: "xl" }),
    h("p", { class: "scan-title" }, `${u.display_name} invited you to Hutong`),
    h("p", { class: "scan-sub" }, "Accept to become friends."),
    h("div", { class: "scan-actions" }, actions),
  );
}

function appResult(r) {
  const app = r.app || {};
  return card(
    "scan-app",
    { appid: app.appid || "" },
    appIcon(app, { size: "xl" }),
    h("p", { class: "scan-title", testid: "scan-app-name" }, app.name || "Mini program"),
    h("p", { class: "scan-text" }, app.description || ""),
    h("div", { class: "scan-actions" }, h("a", { class: "btn btn--primary btn--block", href: "#" + openHash(app.appid, { path: r.path || "" }), testid: "scan-app-open" }, "Open")),
  );
}

function textResult(text) {
  const url = /^https?:\/\//i.test(text) ? text : null;
  return card(
    "scan-text",
    {},
    h("span", { class: "scan-icon" }, icon("qr", { size: 40 })),
    h("p", { class: "scan-title" }, "Not a Hutong code"),
    h("p", { class: "scan-text", testid: "scan-text" }, text),
    url ? h("div", { class: "scan-actions" }, h("a", { class: "btn btn--ghost btn--block", href: url, target: "_blank", rel: "noopener noreferrer" }, "Open Link")) : null,
  );
}

/**
 * The element for a resolved code: `kind` is the token kind (u, g, inv, login) or "text".
 * Returns null for kinds that have their own screen (login: go to /qr/<token>).
 */
export function qrResult({ kind, token, result, text }) {
  if (kind === "u") return personResult(token, result);
  if (kind === "g") return groupResult(token, result);
  if (kind === "inv") return inviteResult(token, result);
  if (kind === "app") return appResult(result);
  if (kind === "text") return textResult(text);
  return null;
}
