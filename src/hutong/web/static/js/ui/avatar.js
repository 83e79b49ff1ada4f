// Avatars: the uploaded thumbnail, or a coloured tile with the person's initial.

import { h } from "../dom.js";

function hue(text) {
  let n = 0;
  for (const ch of text || "") n = (n * 31 + ch.codePointAt(0)) >>> 0;
  return n % 8;
}

function initial(user) {
  const name = (user?.display_name || user?.handle || "?").trim();
  return Array.from(name)[0]?.toUpperCase() || "?";
}

/** size: "sm" | "md" | "lg" | "xl" */
export function avatar(user, { size = "md", testid, src } = {}) {
  const url = src || user?.avatar_thumb_url || user?.avatar_url;
  const cls = ["avatar", `avatar--${size}`];
  if (url) return h("img", { class: cls, src: url, alt: "", testid, decoding: "async" });
  return h("span", { class: [...cls, "avatar--initial", `hue-${hue(user?.handle)}`], testid, "aria-hidden": "true" }, initial(user));
}

const BADGES = {
  personal: { label: "Verified", cls: "vbadge--personal" },
  organisation: { label: "Verified organisation", cls: "vbadge--org" },
};

/** Weibo-style "V" badge: orange for people, blue for organisations. */
export function verifiedBadge(user, { testid = "verified-badge" } = {}) {
  const b = BADGES[user?.verified];
  if (!b) return null;
  const title = user.verified_reason ? `${b.label}: ${user.verified_reason}` : b.label;
  return h("span", { class: ["vbadge", b.cls], title, "aria-label": title, testid, dataset: { kind: user.verified } }, "V");
}
