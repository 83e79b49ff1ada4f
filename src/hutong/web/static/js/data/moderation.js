// Moderation API: what every user does (report, read their notices, appeal) and the
// moderators' console (queue, cases, decisions, term lists, appeals, audit log).

import { api } from "../api.js";

const q = (params) => {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== "" && v !== false) out.set(k, String(v));
  const s = out.toString();
  return s ? `?${s}` : "";
};

/** The rules a report can name (slugs the server accepts as `reason`), in menu order. */
export const REPORT_REASONS = [
  { value: "spam", label: "Spam or advertising" },
  { value: "fraud", label: "Fraud or scam" },
  { value: "abuse", label: "Harassment or insults" },
  { value: "hate", label: "Hate speech" },
  { value: "violence", label: "Violence or threats" },
  { value: "sexual", label: "Sexual content" },
  { value: "illegal", label: "Illegal goods or activity" },
  { value: "other", label: "Something else" },
];

export const DECISIONS = [
  { value: "approve", label: "Approve", note: "Nothing wrong; held content is published" },
  { value: "remove", label: "Remove", note: "Take the content down" },
  { value: "warn", label: "Warn", note: "A warning to the user" },
  { value: "mute", label: "Mute", note: "No posts, comments or group talk for N days" },
  { value: "ban", label: "Ban", note: "Signed out everywhere; cannot sign in" },
];

export const TERM_ACTIONS = ["block", "mask", "review"];

const KIND_LABELS = { user: "User", post: "Post", comment: "Comment", message: "Message", miniapp: "Mini-program" };
const ACTION_LABELS = { approve: "Approved", remove: "Content removed", warn: "Warning", mute: "Muted", ban: "Banned" };

export const kindLabel = (k) => KIND_LABELS[k] || k;
export const actionLabel = (a) => ACTION_LABELS[a] || a;

// -- everyone -----------------------------------------------------------------------------

export const report = ({ kind, ref, reason, note = "" }) => api.post("/reports", { kind, ref: String(ref), reason, note });
export const notices = (opts) => api.get("/me/moderation", opts);
export const appeal = (sanctionId, text) => api.post(`/me/moderation/${sanctionId}/appeal`, { text });
export const transparency = (month, opts) => api.get(`/transparency${q({ month })}`, opts);

// -- the console --------------------------------------------------------------------------

export const queue = (filters, opts) => api.get(`/moderation/queue${q(filters)}`, opts);
export const caseDetail = (id, opts) => api.get(`/moderation/cases/${id}`, opts);
export const claim = (id) => api.post(`/moderation/cases/${id}/claim`, {});
export const decide = (id, body) => api.post(`/moderation/cases/${id}/decide`, body);

export const terms = (filters, opts) => api.get(`/moderation/terms${q(filters)}`, opts);
export const addTerm = (body) => api.post("/moderation/terms", body);
export const updateTerm = (id, body) => api.patch(`/moderation/terms/${id}`, body);
export const deleteTerm = (id) => api.del(`/moderation/terms/${id}`);
export const testText = (text) => api.post("/moderation/test", { text });
export const status = (opts) => api.get("/moderation/status", opts);

export const appeals = (status, opts) => api.get(`/moderation/appeals${q({ status })}`, opts);
export const decideAppeal = (id, grant, reason) => api.post(`/moderation/appeals/${id}/decide`, { grant, reason });

export const audit = (filters, opts) => api.get(`/moderation/audit${q(filters)}`, opts);
