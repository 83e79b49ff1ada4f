// Pieces the developer console's screens share: the API paths, labels for categories and
// version statuses, readable words for a refused bundle, and the secret shown once.

import { h } from "../../dom.js";

export const CATEGORIES = [
  { value: "food", label: "Food & drink" },
  { value: "shopping", label: "Shopping" },
  { value: "utilities", label: "Utilities & bills" },
  { value: "travel", label: "Travel" },
  { value: "games", label: "Games" },
  { value: "tools", label: "Tools" },
  { value: "education", label: "Education" },
  { value: "other", label: "Other" },
];

export const categoryLabel = (value) => CATEGORIES.find((c) => c.value === value)?.label || value;

/** A select of the categories (WeChat-style row: label left, value right). */
export function categorySelect(value, testid = "input-category") {
  return h(
    "select",
    { class: "field-input dev-select", name: "category", testid, "aria-label": "Category" },
    CATEGORIES.map((c) => h("option", { value: c.value, selected: c.value === value }, c.label)),
  );
}

/** A form row holding a control that `field()` does not make (a select, a file input). */
let uid = 0;

export function controlRow(label, control, hint = null) {
  const id = control.id || `dev-control-${++uid}`;
  control.id = id;
  return h(
    "div",
    { class: "field" },
    h("div", { class: "field-row" }, h("label", { class: "field-label", for: id }, label), control),
    hint ? h("p", { class: "field-hint" }, hint) : null,
  );
}

/** "a.example.com, b.example.com:8443" → ["a.example.com", "b.example.com:8443"]. */
export function parseDomains(text) {
  return String(text || "")
    .split(/[\s,]+/)
    .map((d) => d.trim())
    .filter(Boolean);
}

export const STATUS = {
  develop: { label: "Develop", tone: "grey" },
  trial: { label: "Trial", tone: "blue" },
  submitted: { label: "In review", tone: "orange" },
  approved: { label: "Approved", tone: "green" },
  rejected: { label: "Rejected", tone: "red" },
  released: { label: "Released", tone: "green" },
  superseded: { label: "Superseded", tone: "grey" },
  rolled_back: { label: "Rolled back", tone: "grey" },
};

export function statusBadge(status, testid = "version-status") {
  const s = STATUS[status] || { label: status, tone: "grey" };
  return h("span", { class: ["chip", "dev-status", `dev-status--${s.tone}`], testid, dataset: { status } }, s.label);
}

const BUNDLE_REASONS = {
  "bad-path": "A file's path leaves the bundle (\"../\"), is absolute, or has unusual characters.",
  symlink: "The zip contains a symbolic link.",
  "file-type": "The zip contains a file type that is not allowed: only HTML, JS, CSS, JSON, text, images and fonts.",
  duplicate: "The zip names the same file twice.",
  manifest: "manifest.json is missing or invalid: it must list the pages (HTML files in the zip) and known permissions.",
  "not-a-zip": "This file is not a zip archive.",
  corrupt: "The zip archive is damaged.",
  encrypted: "The zip is password-protected; upload it without a password.",
  "too-many": "The zip has too many files.",
  "too-large": "The zip is larger than the upload limit.",
  "zip-bomb": "The zip expands far more than its size (a zip bomb) or beyond the unpacked limit.",
};

/** What to tell the developer about a refused upload (or any other failure). */
export function uploadProblem(err) {
  const reason = err?.extra?.reason;
  if (reason && BUNDLE_REASONS[reason]) return { reason, text: `${BUNDLE_REASONS[reason]} ${err.detail}`.trim() };
  return { reason: err?.code || "", text: err?.detail || "Something went wrong. Please try again." };
}

// The secret travels from the create (or rotate) answer to the app screen in memory only: it is
// shown once and gone after a reload, as the server never gives it again.
const fresh = new Map();

export function keepSecret(appid, secret) {
  fresh.set(appid, secret);
}

export function takeSecret(appid) {
  const s = fresh.get(appid) || null;
  fresh.delete(appid);
  return s;
}

export const previewHref = (appid, versionId) => `#/miniapps/open/${encodeURIComponent(appid)}?version_id=${versionId}`;

/** The message for the domains field when the server refused one of `list` ("domains.2"). */
export function domainProblem(err, list) {
  for (const [name, message] of Object.entries(err?.fields || {})) {
    const m = name.match(/^domains(?:\.(\d+))?$/);
    if (m) return m[1] !== undefined && list[Number(m[1])] !== undefined ? `“${list[Number(m[1])]}”: ${message}` : message;
  }
  return null;
}
