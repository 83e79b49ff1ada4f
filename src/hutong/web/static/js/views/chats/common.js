// Pieces the chat screens share: chat avatars, what a message says in one line, and names.

import { h } from "../../dom.js";
import { icon } from "../../icons.js";
import * as users from "../../data/users.js";
import * as store from "../../store.js";
import { avatar } from "../../ui/avatar.js";

/** A chat's picture: the friend's avatar, or a group tile. */
export function chatAvatar(c, { size = "md" } = {}) {
  if (c.kind === "direct" && c.peer) return avatar(c.peer, { size });
  if (c.avatar_url) return avatar(null, { size, src: c.avatar_url });
  return h("span", { class: ["avatar", `avatar--${size}`, "avatar--group"], "aria-hidden": "true" }, icon("group", { size: size === "sm" ? 18 : 24 }));
}

/** The name shown for a chat: my remark for a friend, the group's name. */
export function chatName(c) {
  if (c.kind === "direct" && c.peer) return users.remarkOf(c.peer.id) || c.peer.display_name || c.name;
  return c.name || "Group chat";
}

export function senderName(id, { you = true } = {}) {
  return users.nameOf(id, { you });
}

const KIND_LABELS = {
  image: "[Photo]",
  voice: "[Voice]",
  video: "[Video]",
  sticker: "[Sticker]",
  red_envelope: "[Red Packet]",
  transfer: "[Transfer]",
  miniapp_card: "[Mini Program]",
};

/** What a message says in one line (chat list, notifications, quoting). */
export function summary(m) {
  if (!m) return "";
  if (m.recalled && m.recalled_by === null) return "A message was removed by moderation";
  if (m.recalled) return `${senderName(m.recalled_by ?? m.sender_id)} recalled a message`;
  const b = m.body || {};
  switch (m.kind) {
    case "text":
      return b.text || "";
    case "system":
      return b.text || "";
    case "file":
      return `[File] ${b.name || ""}`.trim();
    case "location":
      return `[Location] ${b.place || ""}`.trim();
    case "card":
      return `[Contact Card] ${b.user?.display_name || ""}`.trim();
    case "miniapp_card":
      return `[Mini Program] ${b.title || b.app_name || ""}`.trim();
    default:
      return KIND_LABELS[m.kind] || `[${m.kind}]`;
  }
}

/** The chat list's second line: "Name: text" in groups. */
export function previewLine(c) {
  const m = c.last_message;
  if (!m) return "";
  const text = summary(m);
  if (c.kind === "group" && !m.recalled && m.kind !== "system" && m.sender_id && m.sender_id !== store.state.user?.id) return `${senderName(m.sender_id, { you: false })}: ${text}`;
  return text;
}
