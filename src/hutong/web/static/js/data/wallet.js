// The wallet as the client holds it: the overview (balance, PIN state, limits, fee rule) and the
// transfers waiting for me to accept. Loaded at sign-in, refreshed by every `wallet.*` sync event
// and announced on the bus as "wallet:overview", "wallet:incoming" and "wallet:event" (the raw
// event, for screens that list payments or bills). The Me tab's badge counts waiting transfers.
//
// Money is integer fen everywhere; `money()` formats it and `parseAmount()` reads what a person
// typed ("12.5" → 1250). Every request that moves money goes through `keyed()` with an
// Idempotency-Key the caller keeps for as long as it retries the same request.

import { api } from "../api.js";
import * as store from "../store.js";
import { toast } from "../ui/feedback.js";
import { debounce, newId } from "../util.js";
import * as users from "./users.js";

const SYMBOLS = { CNY: "¥", USD: "$", EUR: "€", HKD: "HK$", GBP: "£", JPY: "¥" };

const state = {
  overview: null, // WalletOut, or null before the first load
  incoming: null, // TransferOut[] pending to me
  userId: null,
  generation: 0,
};

// The Me tab shows how many transfers wait for me (the tab bar paints badges it knows about).
if (!("me" in store.state.badges)) store.state.badges.me = 0;

export function overview() {
  return state.overview;
}

export function incoming() {
  return state.incoming;
}

/** "¥12.34"; `sign` adds "+" or "-" for bills. */
export function money(fen, { sign = null, currency } = {}) {
  const code = currency || state.overview?.currency || "CNY";
  const symbol = SYMBOLS[code] ?? `${code} `;
  const n = Math.abs(Number(fen) || 0);
  const text = `${symbol}${Math.floor(n / 100).toLocaleString("en-US")}.${String(n % 100).padStart(2, "0")}`;
  return sign === "in" ? `+${text}` : sign === "out" ? `-${text}` : text;
}

/** Plain "12.34" without a symbol. */
export function yuan(fen) {
  const n = Math.abs(Number(fen) || 0);
  return `${Math.floor(n / 100)}.${String(n % 100).padStart(2, "0")}`;
}

/** What a person typed as an amount of money, in fen: "12", "12.5", "12.50" → 1250; else null. */
export function parseAmount(text) {
  const m = String(text ?? "").trim().match(/^(\d{1,9})(?:\.(\d{0,2}))?$/);
  if (!m) return null;
  const fen = Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
  return fen > 0 ? fen : null;
}

/** The problem with an amount field's text, or null (for form `validate`). */
export function amountProblem(text) {
  const fen = parseAmount(text);
  if (fen === null) return "Enter an amount like 12.50";
  const max = state.overview?.max_amount;
  if (max && fen > max) return `At most ${money(max)} at a time`;
  return null;
}

/** The withdrawal fee the server will charge for `amount` fen (its rule is in the overview). */
export function withdrawalFee(amount) {
  const o = state.overview;
  if (!o || !amount) return 0;
  const bp = o.withdraw_fee_bp || 0;
  const min = o.withdraw_fee_min || 0;
  if (bp <= 0 && min <= 0) return 0;
  return Math.max(min, Math.ceil((amount * bp) / 10000));
}

/** POST a money-moving request with its Idempotency-Key. */
export function keyed(path, body, key = newId()) {
  return api.post(path, body ?? {}, { headers: { "Idempotency-Key": key } });
}

export async function loadOverview() {
  const gen = state.generation;
  const o = await api.get("/wallet");
  if (gen !== state.generation) return state.overview;
  state.overview = o;
  store.emit("wallet:overview", o);
  return o;
}

export async function loadIncoming() {
  const gen = state.generation;
  const out = await api.get("/wallet/transfers?direction=in&status=pending&limit=100");
  if (gen !== state.generation) return state.incoming;
  state.incoming = out.transfers;
  store.setBadge("me", state.incoming.length);
  store.emit("wallet:incoming", state.incoming);
  return state.incoming;
}

const quietly = (fn) => () => fn().catch((err) => err.status !== 401 && console.warn("wallet refresh failed", err));
const refreshOverview = debounce(quietly(loadOverview), 100);
const refreshIncoming = debounce(quietly(loadIncoming), 100);

/** Reload after this device moved money (events also arrive, this is just sooner). */
export function refresh() {
  refreshOverview();
  refreshIncoming();
}

/** One page of the red envelopes I sent or opened, newest first: {envelopes, total, next_before}. */
export function redpackets(direction, { before = null, limit = 50, signal } = {}) {
  const q = new URLSearchParams({ direction, limit: String(limit) });
  if (before) q.set("before", String(before));
  return api.get(`/redpackets?${q}`, { signal });
}

/** One envelope: who got what and when (EnvelopeOut). */
export const redpacket = (id, { signal } = {}) => api.get(`/redpackets/${id}`, { signal });

export const accept = (id) => keyed(`/wallet/transfers/${id}/accept`).finally(refresh);
export const decline = (id) => keyed(`/wallet/transfers/${id}/decline`).finally(refresh);

function nameOf(id) {
  return users.nameOf(id, { fallback: "A friend" });
}

// Live toasts for what others did to my money; replayed events (catching up) stay quiet.
const TOASTS = {
  "wallet.transfer_received": (p) => `${nameOf(p.from_user_id)} sent you ${money(p.amount)}`,
  "wallet.transfer_accepted": (p) => (p.from_user_id === store.state.user?.id ? `${nameOf(p.to_user_id)} accepted your ${money(p.amount)}` : null),
  "wallet.transfer_declined": (p) => (p.from_user_id === store.state.user?.id ? `${nameOf(p.to_user_id)} declined your ${money(p.amount)}; it is back in your wallet` : null),
  "wallet.payment_received": (p) => `${p.merchant_name} received ${money(p.amount)}`,
  "wallet.refund_received": (p) => `${p.merchant_name} refunded ${money(p.amount)}`,
};

store.on("event", ({ event, live }) => {
  if (!event.kind.startsWith("wallet.")) return;
  refreshOverview();
  if (event.kind.startsWith("wallet.transfer_")) refreshIncoming();
  store.emit("wallet:event", event);
  const text = live ? TOASTS[event.kind]?.(event.payload) : null;
  if (text) toast(text);
});

store.on("user", (u) => {
  const id = u?.id ?? null;
  if (id === state.userId) return;
  state.userId = id;
  state.generation += 1;
  state.overview = null;
  state.incoming = null;
  store.setBadge("me", 0);
  if (u) {
    quietly(loadOverview)();
    quietly(loadIncoming)();
  }
});
