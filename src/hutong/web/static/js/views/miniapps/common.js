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

/** A rounded tile with the app's initial, tinted by its category (apps have no uploaded icon). */
export function appIcon(app, { size = "md", testid } = {}) {
  const letter = Array.from((app?.name || app?.app_name || "?").trim())[0]?.toUpperCase() || "?";
  return h("span", { class: ["app-icon", `app-icon--${size}`, `app-tone-${TONES[app?.category] || "grey"}`], testid, "aria-hidden": "true" }, letter);
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
