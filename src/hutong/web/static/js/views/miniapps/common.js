// What the mini-program screens share: the app icon, category names, opening an app.

import { h } from "../../dom.js";
import { navigate } from "../../router.js";

export const CATEGORIES = {
  food: "Food & Drink",
  shopping: "Shopping",
  utilities: "Utilities",
  travel: "Travel",
  games: "Games",
  tools: "Tools",
  education: "Education",
  other: "Other",
};

export const PERMISSIONS = {
  userInfo: "Your nickname and profile photo (asked each time until you allow it)",
  payment: "Ask you to pay, always confirmed by you with your PIN",
  scanCode: "Ask you to scan a QR code",
  share: "Let you share its pages into your chats",
  location: "Ask for your location",
};

const TONES = { food: "orange", shopping: "pink", utilities: "blue", travel: "teal", games: "purple", tools: "grey", education: "green", other: "grey" };

/**
 * The app's icon: its uploaded image (`icon_url`), or else a rounded tile with the app's
 * initial, tinted by its category. An image that fails to load falls back to the tile.
 */
export function appIcon(app, { size = "md", testid } = {}) {
  const letter = Array.from((app?.name || app?.app_name || "?").trim())[0]?.toUpperCase() || "?";
  const tile = h("span", { class: ["app-icon", `app-icon--${size}`, `app-tone-${TONES[app?.category] || "grey"}`], testid, "aria-hidden": "true" }, letter);
  if (!app?.icon_url) return tile;
  const img = h("img", { class: ["app-icon", "app-icon--img", `app-icon--${size}`], src: app.icon_url, alt: "", testid, dataset: { icon: "image" }, loading: "lazy", decoding: "async" });
  img.addEventListener("error", () => img.replaceWith(tile), { once: true });
  return img;
}

/** The hash of the screen that runs `appid` at `path` (a page of the app, with its query). */
export function openHash(appid, { path = "", versionId = null } = {}) {
  const q = new URLSearchParams();
  if (path) q.set("path", path);
  if (versionId) q.set("version_id", String(versionId));
  const qs = q.toString();
  return `/miniapps/open/${encodeURIComponent(appid)}${qs ? "?" + qs : ""}`;
}

export function openApp(appid, opts = {}) {
  navigate(openHash(appid, opts));
}
