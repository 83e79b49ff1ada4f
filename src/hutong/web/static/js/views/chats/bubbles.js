// One message on screen: a centred notice (system messages, recalls) or a bubble — mine on the
// right in green, others' on the left — with the sender's avatar, their name in groups, and
// the content for its kind.

import { h } from "../../dom.js";
import { clockTime, fileSize, seconds } from "../../format.js";
import { icon } from "../../icons.js";
import * as users from "../../data/users.js";
import * as store from "../../store.js";
import { avatar } from "../../ui/avatar.js";
import { inAppLink } from "../../ui/browser.js";
import { senderName } from "./common.js";
import { openImage, playVoice } from "./media.js";

const URL_RE = /https?:\/\/[^\s<>"'，。！？、]+/gi;

export function mediaUrl(m, { thumb = false } = {}) {
  const b = m.body || {};
  if (b.local_url) return b.local_url;
  if (!b.media_id) return "";
  const base = `/chats/${m.chat_id}/media/${b.media_id}`;
  return thumb && b.thumb_id ? `${base}?thumb=1` : base;
}

/** Text with links made clickable (never markup from the message itself). */
function richText(text) {
  const out = [];
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    if (match.index > last) out.push(text.slice(last, match.index));
    out.push(h("a", { href: match[0], target: "_blank", rel: "noopener noreferrer nofollow", class: "msg-link", testid: "msg-link", onclick: inAppLink(match[0]) }, match[0]));
    last = match.index + match[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function previewCard(p) {
  if (!p || !(p.title || p.description)) return null;
  return h(
    "a",
    { class: "link-card", href: p.url || "#", target: "_blank", rel: "noopener noreferrer nofollow", testid: "link-preview", onclick: inAppLink(p.url || "", p.title || "") },
    h("span", { class: "link-card-text" }, p.title ? h("span", { class: "link-card-title" }, p.title) : null, p.description ? h("span", { class: "link-card-desc" }, p.description) : null, p.site_name ? h("span", { class: "link-card-site" }, p.site_name) : null),
    p.image_url ? h("img", { class: "link-card-img", src: p.image_url, alt: "", loading: "lazy" }) : null,
  );
}

function imageSize(b, max = 180) {
  const w = b.width || 0;
  const hgt = b.height || 0;
  if (!w || !hgt) return { width: max * 0.8, height: max * 0.8 };
  const scale = Math.min(1, max / Math.max(w, hgt));
  return { width: Math.max(60, Math.round(w * scale)), height: Math.max(60, Math.round(hgt * scale)) };
}

/** A transfer step posted by the wallet: "¥5.00 · Accepted". */
/** An app card's picture or icon: only ever an image of this server's media store. */
function cardImage(b, key) {
  const url = b[key];
  return typeof url === "string" && /^\/media\/[0-9a-f]{64}$/.test(url) ? url : null;
}
const cardIcon = (b) => cardImage(b, "icon_url");

function transferText(b) {
  const status = { sent: "", accepted: " · Accepted", declined: " · Declined", returned: " · Returned" }[b.status] ?? "";
  return `¥${((b.amount || 0) / 100).toFixed(2)}${status}`;
}

function content(m) {
  const b = m.body || {};
  switch (m.kind) {
    case "text":
      return h("div", { class: "bubble bubble--text", testid: "msg-text" }, richText(b.text || ""), previewCard(b.preview));
    case "image": {
      const size = imageSize(b);
      const img = h("img", { class: "msg-img", src: mediaUrl(m, { thumb: true }), alt: "Photo", width: size.width, height: size.height, loading: "lazy", testid: "msg-image" });
      return h("button", { type: "button", class: "bubble bubble--media", "aria-label": "Open photo", onclick: () => m.seq !== null && openImage(mediaUrl(m), img.src) }, img);
    }
    case "sticker":
      return h("img", { class: "msg-sticker", src: mediaUrl(m), alt: "Sticker", loading: "lazy" });
    case "voice": {
      const d = b.duration_s || 0;
      const btn = h(
        "button",
        { type: "button", class: "bubble bubble--voice", testid: "msg-voice", style: null, dataset: { duration: String(d) }, "aria-label": `Voice message, ${Math.round(d)} seconds` },
        h("span", { class: "voice-waves" }, icon("voice", { size: 20 })),
        h("span", { class: "voice-len" }, seconds(d)),
      );
      btn.style.setProperty("--voice-w", `${Math.min(220, 72 + d * 3)}px`);
      btn.addEventListener("click", () => m.seq !== null && playVoice(mediaUrl(m), btn));
      return btn;
    }
    case "video":
      return h("div", { class: "bubble bubble--media" }, h("video", { class: "msg-video", src: mediaUrl(m), controls: true, preload: "metadata", playsinline: true, testid: "msg-video" }));
    case "file":
      return h(
        "a",
        { class: "bubble bubble--file", href: m.seq === null ? null : mediaUrl(m), download: b.name || "file", testid: "msg-file" },
        h("span", { class: "file-text" }, h("span", { class: "file-name" }, b.name || "File"), h("span", { class: "file-size" }, fileSize(b.size))),
        h("span", { class: "file-icon" }, icon("file", { size: 30 })),
      );
    case "location": {
      const href = `https://www.openstreetmap.org/?mlat=${b.lat}&mlon=${b.lng}#map=16/${b.lat}/${b.lng}`;
      return h(
        "a",
        { class: "bubble bubble--location", href, target: "_blank", rel: "noopener noreferrer", testid: "msg-location" },
        h("span", { class: "loc-place" }, b.place || "Location"),
        h("span", { class: "loc-coords" }, `${Number(b.lat).toFixed(5)}, ${Number(b.lng).toFixed(5)}`),
        h("span", { class: "loc-map", "aria-hidden": "true" }, icon("location", { size: 28 })),
      );
    }
    case "card": {
      const u = b.user || {};
      return h(
        "a",
        { class: "bubble bubble--card", href: u.handle ? `#/contacts/u/${encodeURIComponent(u.handle)}` : null, testid: "msg-card" },
        h("span", { class: "card-who" }, avatar(u, { size: "md" }), h("span", { class: "card-name" }, u.display_name || u.handle || "")),
        h("span", { class: "card-foot" }, "Contact Card"),
      );
    }
    case "miniapp_card": {
      // Opens the app at the shared page (views/miniapps/runner.js).
      const href = b.appid ? `#/miniapps/open/${encodeURIComponent(b.appid)}?path=${encodeURIComponent(b.path || "")}` : null;
      return h(
        "a",
        { class: "bubble bubble--appcard", href, testid: "msg-miniapp_card", dataset: { appid: b.appid || "" } },
        h("span", { class: "appcard-app" }, cardIcon(b) ? h("img", { class: "appcard-app-icon", src: cardIcon(b), alt: "", testid: "appcard-app-icon" }) : icon("miniapps", { size: 14 }), h("span", {}, b.app_name || "Mini Program")),
        h("span", { class: "appcard-title", testid: "appcard-title" }, b.title || ""),
        cardImage(b, "image_url")
          ? h("img", { class: "appcard-cover appcard-cover--image", src: cardImage(b, "image_url"), alt: "", testid: "appcard-image" })
          : h("span", { class: "appcard-cover", "aria-hidden": "true" }, cardIcon(b) ? h("img", { class: "appcard-cover-icon", src: cardIcon(b), alt: "", testid: "appcard-icon" }) : Array.from(b.app_name || "?")[0]),
        h("span", { class: "appcard-foot" }, icon("miniapps", { size: 12 }), "Mini Program"),
      );
    }
    case "red_envelope":
    case "transfer": {
      const label = { red_envelope: "Red Packet", transfer: "Transfer" }[m.kind];
      // A red envelope opens its sheet (views/chats/redpacket.js, loaded on first tap).
      const onclick = m.kind === "red_envelope" ? () => import("./redpacket.js").then((rp) => rp.openEnvelope(m)) : null;
      return h(
        "div",
        { class: ["bubble", "bubble--special", `bubble--${m.kind}`], testid: `msg-${m.kind}`, onclick, role: onclick ? "button" : null },
        h("span", { class: "special-main" }, icon(m.kind === "red_envelope" ? "redpacket" : "share", { size: 28 }), h("span", {}, m.kind === "transfer" ? transferText(b) : b.greeting || b.title || b.text || label)),
        h("span", { class: "special-foot" }, label),
      );
    }
    default:
      return h("div", { class: "bubble bubble--text" }, `[${m.kind}]`);
  }
}

export function mentionsMe(m) {
  const me = store.state.user?.id;
  return Boolean(m.mention_all || (m.mentions || []).includes(me));
}

/** A centred line: system notices, recalls. */
export function notice(text, testid = "msg-system", dataset = {}) {
  return h("div", { class: "msg-notice", testid, dataset }, h("span", {}, text));
}

/**
 * The element for one message. `opts`: {group, onRetry(m), onMenu(m, at, el)}.
 */
export function messageEl(m, { group = false, onRetry } = {}) {
  const data = { seq: m.seq === null ? "" : String(m.seq), clientId: m.client_id || "", kind: m.kind, sender: String(m.sender_id ?? "") };
  if (m.kind === "system") return notice(m.body?.text || "", "msg-system", data);
  if (m.recalled) {
    // Nobody in the chat took it back: a moderator removed it (recalled_by stays null).
    const by = m.recalled_by ?? m.sender_id;
    const text =
      m.recalled_by === null
        ? "A message was removed by moderation"
        : by === m.sender_id
          ? `${senderName(by)} recalled a message`
          : `${senderName(by)} removed a message from ${senderName(m.sender_id, { you: false })}`;
    return notice(text, "msg-recalled", data);
  }
  const mine = m.sender_id === store.state.user?.id;
  const who = users.get(m.sender_id);
  const status =
    m.pending === "sending"
      ? h("span", { class: "msg-status", testid: "msg-sending", "aria-label": "Sending" }, h("span", { class: "spinner spinner--sm" }))
      : m.pending === "failed"
        ? h("button", { type: "button", class: "msg-status msg-failed", testid: "msg-retry", title: m.error?.detail || "Not sent. Tap to retry.", "aria-label": "Not sent. Retry", onclick: () => onRetry?.(m) }, "!")
        : null;
  const face = who?.handle ? h("a", { href: `#/contacts/u/${encodeURIComponent(who.handle)}`, class: "msg-face", tabindex: "-1" }, avatar(who, { size: "sm" })) : h("span", { class: "msg-face" }, avatar(who || { handle: String(m.sender_id) }, { size: "sm" }));
  return h(
    "div",
    {
      class: ["msg", mine ? "is-mine" : "is-theirs", mentionsMe(m) && !mine && "is-mention", m.pending && `is-${m.pending}`],
      testid: "msg",
      dataset: data,
      title: clockTime(m.created_at),
    },
    face,
    h("div", { class: "msg-col" }, group && !mine ? h("span", { class: "msg-sender", testid: "msg-sender" }, senderName(m.sender_id, { you: false })) : null, h("div", { class: "msg-line" }, status, content(m))),
  );
}
