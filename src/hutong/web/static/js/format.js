// Formatting helpers.

import { serverNow } from "./api.js";

export function ago(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const s = Math.max(0, Math.round((serverNow() - t) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 7 * 86400) return `${Math.floor(s / 86400)} d ago`;
  return new Date(t).toLocaleDateString();
}

/** A countdown, "1:59". Rounds down, so it reads 0:00 only in the last second. */
export function clock(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

export function day(iso) {
  const d = new Date(iso);
  const sameYear = d.getFullYear() === new Date(serverNow()).getFullYear();
  return d.toLocaleDateString(undefined, sameYear ? { month: "short", day: "numeric" } : { year: "numeric", month: "short", day: "numeric" });
}

function startOfDay(t) {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** "14:05" */
export function clockTime(iso) {
  return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/** Chat list style: "14:05" today, "Yesterday", a weekday this week, else a date. */
export function chatTime(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const days = Math.round((startOfDay(serverNow()) - startOfDay(t)) / 86400000);
  if (days <= 0) return clockTime(iso);
  if (days === 1) return "Yesterday";
  if (days < 7) return new Date(t).toLocaleDateString(undefined, { weekday: "long" });
  return day(iso);
}

/** A day separator in a conversation: "Today", "Yesterday", "Monday", "Mar 3". */
export function dayLabel(iso) {
  const t = Date.parse(iso);
  const days = Math.round((startOfDay(serverNow()) - startOfDay(t)) / 86400000);
  if (days <= 0) return "Today";
  if (days === 1) return "Yesterday";
  if (days < 7) return new Date(t).toLocaleDateString(undefined, { weekday: "long" });
  return day(iso);
}

export function sameDay(a, b) {
  return startOfDay(Date.parse(a)) === startOfDay(Date.parse(b));
}

/** "1.4 MB" */
export function fileSize(bytes) {
  if (!Number.isFinite(bytes)) return "";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let n = bytes / 1024;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

/** A voice note's length, WeChat style: 7″ */
export function seconds(s) {
  return `${Math.max(1, Math.round(s || 0))}″`;
}
