// Chats and their messages, kept in step with the server by the realtime stream.
//
// The chat list comes from GET /chats once per sign-in; after that every `chat.*` event updates
// it. Events that arrive while the list is loading wait and are applied after it, and a message
// at or below a chat's `last_seq` is already counted there, so nothing is counted twice.
//
// A conversation (`Convo`) holds the messages of one chat that a screen has opened: confirmed
// messages by `seq` (so a message seen through history, the live push and a replay is kept once)
// and my optimistic sends by `client_id` until the server answers or the event comes. A send
// that fails keeps its `client_id`; retrying it (by hand or when the socket comes back) can't
// double it on the server.
//
// The bus hears "chats" when the list changes, "chat:<id>" when a conversation does, and
// "typing:<id>" when someone starts or stops typing there.

import { api, ApiError, serverNow } from "../api.js";
import * as store from "../store.js";
import { debounce, newId } from "../util.js";
import * as users from "./users.js";

const PAGE = 30;
const TYPING_MS = 5000;
/** System notices after which a chat's details (name, members, roles …) are read again. */
const GROUP_EVENTS = new Set(["created", "joined", "invited", "removed", "left", "renamed", "announcement", "mute_all", "owner", "admin"]);

class Convo {
  constructor(chatId) {
    this.chatId = chatId;
    this.bySeq = new Map();
    this.pending = new Map(); // client_id → optimistic message
    this.recalled = new Map(); // seq → recalled_by, for recalls that beat their message here
    this.previews = new Map(); // seq → link preview that beat its message here
    this.loaded = false;
    this.loading = null;
    this.hasMore = true;
    this.members = null; // MemberOut[] for groups, once asked for
    this.gone = null; // "left" | "removed" when I am no longer in it
    this.outbox = null; // the last send in line: sends are posted one at a time, in order
  }

  /** Confirmed messages by seq, then my unconfirmed ones in the order I sent them. */
  messages() {
    const confirmed = [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
    return confirmed.concat([...this.pending.values()]);
  }

  oldestSeq() {
    let min = Infinity;
    for (const seq of this.bySeq.keys()) min = Math.min(min, seq);
    return Number.isFinite(min) ? min : null;
  }

  newestSeq() {
    let max = 0;
    for (const seq of this.bySeq.keys()) max = Math.max(max, seq);
    return max;
  }
}

const state = {
  userId: null,
  generation: 0,
  list: new Map(), // id → ChatOut (+ local: mentioned, touched)
  listLoaded: false,
  listLoading: null,
  queue: [], // events that arrived before the list
  convos: new Map(),
  active: null, // the chat on screen
  typing: new Map(), // chat id → Map(user id → expiry ms)
};

const me = () => state.userId;
const emit = (type, detail) => store.emit(type, detail);

let version = 0;
function touch(msg) {
  msg._v = ++version;
  return msg;
}

// -- the list ------------------------------------------------------------------------------

export function listLoaded() {
  return state.listLoaded;
}

/** Visible chats, pinned first, then by latest activity. */
export function list() {
  const when = (c) => Math.max(c.last_message ? Date.parse(c.last_message.created_at) : 0, c._touched || 0);
  return [...state.list.values()]
    .filter((c) => !c.hidden || c._touched)
    .sort((a, b) => Number(b.pinned) - Number(a.pinned) || when(b) - when(a) || b.id - a.id);
}

export function chat(id) {
  return state.list.get(id) || null;
}

function rememberChat(c) {
  if (c.peer) users.remember(c.peer);
  return c;
}

function putChat(c) {
  const old = state.list.get(c.id);
  const merged = { ...c, mentioned: old?.mentioned || false, _touched: old?._touched || 0 };
  // Events newer than this answer were applied already: keep what they said.
  if (old && old.last_seq > c.last_seq) {
    merged.last_seq = old.last_seq;
    merged.last_message = old.last_message;
    merged.unread = Math.max(old.unread, c.unread);
  }
  state.list.set(c.id, rememberChat(merged));
}

function updateBadge() {
  let n = 0;
  for (const c of state.list.values()) if (!c.muted && !c.hidden) n += c.unread || 0;
  store.setBadge("chats", n);
}

function listChanged() {
  updateBadge();
  emit("chats");
}

export function loadList() {
  if (state.listLoading) return state.listLoading;
  const gen = state.generation;
  state.listLoading = (async () => {
    try {
      const rows = await api.get("/chats");
      if (gen !== state.generation) return;
      for (const c of rows) putChat(c);
      state.listLoaded = true;
      for (const [event, live] of state.queue.splice(0)) apply(event, live);
      listChanged();
    } finally {
      if (gen === state.generation) state.listLoading = null;
    }
  })();
  return state.listLoading;
}

const refreshing = new Map();

/** Read one chat again (after a recall, a read marker elsewhere, a group change …). */
export function refreshChat(id, delay = 150) {
  clearTimeout(refreshing.get(id));
  const gen = state.generation;
  refreshing.set(
    id,
    setTimeout(async () => {
      refreshing.delete(id);
      try {
        const c = await api.get(`/chats/${id}`);
        if (gen !== state.generation) return;
        putChat(c);
        listChanged();
        emit(`chat:${id}`, { type: "info" });
      } catch (err) {
        if (gen !== state.generation) return;
        if (err.status === 404 || err.status === 403) {
          state.list.delete(id);
          listChanged();
        }
      }
    }, delay),
  );
}

/** Fetch a chat I may not have listed yet (opened from a profile, a group I was added to). */
export async function fetchChat(id) {
  const c = await api.get(`/chats/${id}`);
  putChat(c);
  listChanged();
  return state.list.get(id);
}

/** The direct chat with a friend, created on first use. */
export async function openDirect(userId) {
  const c = await api.post("/chats/direct", { user_id: userId });
  putChat(c);
  const entry = state.list.get(c.id);
  entry._touched = serverNow();
  listChanged();
  return entry;
}

export async function createGroup(name, memberIds) {
  const c = await api.post("/chats/groups", { name, member_ids: memberIds });
  putChat(c);
  listChanged();
  return state.list.get(c.id);
}

export async function updateSettings(id, changes) {
  const c = await api.put(`/chats/${id}/settings`, changes);
  putChat(c);
  listChanged();
  return c;
}

export async function deleteChat(id) {
  await api.del(`/chats/${id}`);
  applyCleared({ chat_id: id, seq: state.list.get(id)?.last_seq ?? 0 });
}

// -- conversations -------------------------------------------------------------------------

export function convo(id) {
  let c = state.convos.get(id);
  if (!c) {
    c = new Convo(id);
    state.convos.set(id, c);
  }
  return c;
}

function merge(c, m) {
  if (m.missing) return false;
  const old = c.bySeq.get(m.seq);
  const msg = { ...m };
  if (c.recalled.has(m.seq) || old?.recalled) {
    msg.recalled = true;
    msg.body = {};
    msg.recalled_by = old?.recalled_by ?? c.recalled.get(m.seq) ?? msg.recalled_by;
  } else if (c.previews.has(m.seq) && !msg.body?.preview) {
    msg.body = { ...msg.body, preview: c.previews.get(m.seq) };
  }
  const confirmed = Boolean(m.client_id && m.sender_id === me() && c.pending.delete(m.client_id));
  if (old && old.recalled === msg.recalled && JSON.stringify(old.body) === JSON.stringify(msg.body)) return confirmed;
  c.bySeq.set(m.seq, touch(msg));
  return true;
}

/** The newest page of a chat, once; later changes come from events. */
export function ensureLoaded(id) {
  const c = convo(id);
  if (c.loaded) return Promise.resolve(c);
  if (c.loading) return c.loading;
  const gen = state.generation;
  c.loading = (async () => {
    try {
      const rows = await api.get(`/chats/${id}/messages?limit=${PAGE}`);
      if (gen !== state.generation) return c;
      for (const m of rows) merge(c, m);
      c.hasMore = rows.length === PAGE;
      c.loaded = true;
      emit(`chat:${id}`, { type: "history" });
      return c;
    } finally {
      c.loading = null;
    }
  })();
  return c.loading;
}

/** The page before the oldest message I have (scrolling up). Resolves how many came. */
export async function loadOlder(id) {
  const c = convo(id);
  if (!c.loaded || !c.hasMore || c.loadingOlder) return 0;
  const before = c.oldestSeq();
  if (!before) {
    c.hasMore = false;
    return 0;
  }
  c.loadingOlder = true;
  try {
    const rows = await api.get(`/chats/${id}/messages?before=${before}&limit=${PAGE}`);
    for (const m of rows) merge(c, m);
    c.hasMore = rows.length === PAGE;
    emit(`chat:${id}`, { type: "older", count: rows.length });
    return rows.length;
  } finally {
    c.loadingOlder = false;
  }
}

export async function loadMembers(id) {
  const c = convo(id);
  const rows = await api.get(`/chats/${id}/members`);
  c.members = rows;
  users.rememberAll(rows.map((r) => r.user));
  emit(`chat:${id}`, { type: "members" });
  return rows;
}

const reloadMembers = debounce((id) => {
  if (state.convos.get(id)?.members) loadMembers(id).catch(() => {});
}, 200);

// -- sending -------------------------------------------------------------------------------

/**
 * Send a message. `draft`: {kind, text?, file? (uploaded first), duration_s?, lat?, lng?,
 * place?, user_id?, mentions?, mention_all?, preview? (local body to show meanwhile)}.
 */
export function send(chatId, draft) {
  const c = convo(chatId);
  const clientId = newId();
  const msg = touch({
    chat_id: chatId,
    seq: null,
    sender_id: me(),
    client_id: clientId,
    kind: draft.kind,
    body: draft.preview || (draft.text !== undefined ? { text: draft.text } : {}),
    mentions: draft.mentions || [],
    mention_all: Boolean(draft.mention_all),
    created_at: new Date(serverNow()).toISOString(),
    recalled: false,
    pending: "sending",
    error: null,
    _draft: draft,
  });
  c.pending.set(clientId, msg);
  const entry = state.list.get(chatId);
  if (entry) entry._touched = serverNow();
  emit(`chat:${chatId}`, { type: "pending", clientId });
  return deliver(chatId, msg);
}

function upload(chatId, draft) {
  const form = new FormData();
  form.append("file", draft.file, draft.fileName || draft.file.name || "file");
  return api.postForm(`/chats/${chatId}/media`, form).then((up) => (draft.media_id = up.media_id));
}

/**
 * Send one message. Files upload at once, side by side, but the messages themselves are posted
 * one after another in the order I wrote them, so the chat keeps my order.
 */
function deliver(chatId, msg) {
  const c = convo(chatId);
  const draft = msg._draft;
  msg.pending = "sending";
  msg.error = null;
  touch(msg);
  emit(`chat:${chatId}`, { type: "pending", clientId: msg.client_id });
  const uploading = draft.file && !draft.media_id ? upload(chatId, draft) : null;
  uploading?.catch(() => {}); // handled when its turn comes
  const run = async () => {
    try {
      if (uploading) await uploading;
      const body = { client_id: msg.client_id, kind: draft.kind };
      for (const k of ["text", "media_id", "duration_s", "lat", "lng", "place", "user_id"]) if (draft[k] !== undefined && draft[k] !== null) body[k] = draft[k];
      if (draft.mentions?.length) body.mentions = draft.mentions;
      if (draft.mention_all) body.mention_all = true;
      const out = await api.post(`/chats/${chatId}/messages`, body);
      if (!c.pending.has(msg.client_id) && c.bySeq.has(out.seq)) return out; // the event won
      c.pending.delete(msg.client_id);
      applyMessage(out, false);
      return out;
    } catch (err) {
      if (!c.pending.has(msg.client_id)) return null;
      msg.pending = "failed";
      msg.error = err instanceof ApiError ? err : new ApiError({ detail: String(err?.message || err) });
      touch(msg);
      emit(`chat:${chatId}`, { type: "pending", clientId: msg.client_id });
      return null;
    }
  };
  const done = (c.outbox || Promise.resolve()).then(run);
  c.outbox = done;
  return done;
}

/** Send a failed message again, with the same client id. */
export function retry(chatId, clientId) {
  const msg = convo(chatId).pending.get(clientId);
  if (msg && msg.pending === "failed") return deliver(chatId, msg);
  return Promise.resolve(null);
}

export function discard(chatId, clientId) {
  const c = convo(chatId);
  if (c.pending.delete(clientId)) emit(`chat:${chatId}`, { type: "pending", clientId });
}

function retryOffline() {
  for (const c of state.convos.values()) {
    for (const msg of c.pending.values()) if (msg.pending === "failed" && (msg.error?.status ?? 0) === 0) deliver(c.chatId, msg);
  }
}

export async function recall(chatId, seq) {
  const out = await api.post(`/chats/${chatId}/messages/${seq}/recall`);
  applyRecall({ chat_id: chatId, seq, by: me() });
  return out;
}

// -- read markers --------------------------------------------------------------------------

/** Which chat is on screen (null when none); its messages are marked read as they come. */
export function setActive(id) {
  state.active = id;
  if (id !== null) markRead(id);
}

function viewing(id) {
  return state.active === id && document.visibilityState === "visible";
}

const reading = new Map();

/** Tell the server (and so my other devices) I have read this chat up to its newest message. */
export function markRead(id) {
  clearTimeout(reading.get(id));
  reading.set(
    id,
    setTimeout(async () => {
      reading.delete(id);
      const entry = state.list.get(id);
      const c = state.convos.get(id);
      const seq = Math.max(entry?.last_seq || 0, c?.newestSeq() || 0);
      if (!entry || seq <= (entry.read_seq || 0)) {
        if (entry && (entry.unread || entry.mentioned)) {
          entry.unread = 0;
          entry.mentioned = false;
          listChanged();
        }
        return;
      }
      entry.read_seq = seq;
      entry.unread = 0;
      entry.mentioned = false;
      listChanged();
      try {
        await api.post(`/chats/${id}/read`, { seq });
      } catch (err) {
        if (err.status !== 404) entry.read_seq = 0; // try again next time
      }
    }, 250),
  );
}

document.addEventListener("visibilitychange", () => {
  if (state.active !== null && document.visibilityState === "visible") markRead(state.active);
});

// -- typing --------------------------------------------------------------------------------

export function typingIn(chatId) {
  const now = Date.now();
  const m = state.typing.get(chatId);
  if (!m) return [];
  return [...m.entries()].filter(([, until]) => until > now).map(([uid]) => uid);
}

function setTyping(chatId, userId, on) {
  let m = state.typing.get(chatId);
  if (!m) state.typing.set(chatId, (m = new Map()));
  const had = m.has(userId);
  if (on) {
    m.set(userId, Date.now() + TYPING_MS);
    setTimeout(() => {
      if ((m.get(userId) || 0) <= Date.now() && m.delete(userId)) emit(`typing:${chatId}`);
    }, TYPING_MS + 50);
  } else if (!had || !m.delete(userId)) return;
  emit(`typing:${chatId}`);
}

store.on("ephemeral:typing", (p) => {
  if (typeof p.chat_id === "number" && typeof p.user_id === "number" && p.user_id !== me()) setTyping(p.chat_id, p.user_id, true);
});

// -- events --------------------------------------------------------------------------------

function mentionsMe(m) {
  return m.mention_all || (m.mentions || []).includes(me());
}

export function applyMessage(m, live) {
  if (!m || m.missing || typeof m.seq !== "number") return;
  const c = state.convos.get(m.chat_id);
  if (c && merge(c, m)) emit(`chat:${m.chat_id}`, { type: "message", seq: m.seq, live });
  if (m.sender_id !== null && m.sender_id !== me()) setTyping(m.chat_id, m.sender_id, false);
  if (m.kind === "system" && GROUP_EVENTS.has(m.body?.event)) {
    refreshChat(m.chat_id, 250);
    reloadMembers(m.chat_id);
  }
  const entry = state.list.get(m.chat_id);
  if (!entry) {
    refreshChat(m.chat_id, 50); // a chat new to this device
    return;
  }
  if (m.seq <= entry.last_seq) {
    if (entry.last_message?.seq === m.seq && m.recalled && !entry.last_message.recalled) entry.last_message = m;
    return;
  }
  entry.last_seq = m.seq;
  entry.last_message = m;
  entry.hidden = false;
  if (m.sender_id !== me() && !m.recalled) {
    if (viewing(m.chat_id)) markRead(m.chat_id);
    else if (m.seq > (entry.read_seq || 0)) {
      entry.unread = (entry.unread || 0) + 1;
      if (mentionsMe(m)) entry.mentioned = true;
    }
  }
  listChanged();
}

function applyRecall({ chat_id, seq, by }) {
  const c = state.convos.get(chat_id);
  if (c) {
    c.recalled.set(seq, by);
    const msg = c.bySeq.get(seq);
    if (msg && !msg.recalled) {
      c.bySeq.set(seq, touch({ ...msg, recalled: true, recalled_by: by, body: {} }));
      emit(`chat:${chat_id}`, { type: "recall", seq });
    }
  }
  const entry = state.list.get(chat_id);
  if (entry?.last_message?.seq === seq) {
    entry.last_message = { ...entry.last_message, recalled: true, recalled_by: by, body: {} };
    listChanged();
  }
  if (entry) refreshChat(chat_id); // the unread count may have dropped
}

function applyCleared({ chat_id, seq }) {
  const c = state.convos.get(chat_id);
  if (c) {
    for (const s of [...c.bySeq.keys()]) if (s <= seq) c.bySeq.delete(s);
    c.hasMore = false;
    emit(`chat:${chat_id}`, { type: "cleared" });
  }
  const entry = state.list.get(chat_id);
  if (entry) {
    entry.hidden = true;
    entry._touched = 0;
    entry.unread = 0;
    entry.mentioned = false;
    entry.read_seq = Math.max(entry.read_seq || 0, seq);
    if (entry.last_message && entry.last_message.seq <= seq) entry.last_message = null;
    listChanged();
  }
}

function applyGone(chat_id, how) {
  const c = state.convos.get(chat_id);
  if (c) {
    c.gone = how;
    emit(`chat:${chat_id}`, { type: "gone", how });
  }
  if (state.list.delete(chat_id)) listChanged();
}

const handlers = {
  "chat.message": (p, live) => applyMessage(p, live),
  "chat.recall": (p) => applyRecall(p),
  "chat.read"(p) {
    const entry = state.list.get(p.chat_id);
    if (!entry) return;
    entry.read_seq = Math.max(entry.read_seq || 0, p.seq);
    if (entry.read_seq >= entry.last_seq) {
      entry.unread = 0;
      entry.mentioned = false;
      listChanged();
    } else refreshChat(p.chat_id);
  },
  "chat.settings"(p) {
    const entry = state.list.get(p.chat_id);
    if (!entry) return refreshChat(p.chat_id);
    for (const k of ["muted", "pinned", "hidden"]) if (k in p) entry[k] = p[k];
    if (p.hidden) entry._touched = 0;
    listChanged();
    emit(`chat:${p.chat_id}`, { type: "info" });
  },
  "chat.cleared": (p) => applyCleared(p),
  "chat.removed": (p) => applyGone(p.chat_id, "removed"),
  "chat.left": (p) => applyGone(p.chat_id, "left"),
  "chat.invitation": (p) => refreshChat(p.chat_id, 50),
  "chat.preview"(p) {
    const c = state.convos.get(p.chat_id);
    if (!c) return;
    c.previews.set(p.seq, p.preview);
    const msg = c.bySeq.get(p.seq);
    if (msg && !msg.recalled) {
      c.bySeq.set(p.seq, touch({ ...msg, body: { ...msg.body, preview: p.preview } }));
      emit(`chat:${p.chat_id}`, { type: "preview", seq: p.seq });
    }
  },
};

function apply(event, live) {
  handlers[event.kind]?.(event.payload || {}, live);
}

store.on("event", ({ event, live }) => {
  if (!handlers[event.kind]) return;
  if (!state.listLoaded) {
    // Conversations can take messages now; the list counts them once it is here.
    if (event.kind === "chat.message") {
      const c = state.convos.get(event.payload?.chat_id);
      if (c && merge(c, event.payload)) emit(`chat:${c.chatId}`, { type: "message", seq: event.payload.seq, live });
    }
    state.queue.push([event, live]);
    return;
  }
  apply(event, live);
});

store.on("realtime", (status) => {
  if (status === "online") retryOffline();
});

store.on("user", (u) => {
  const id = u?.id ?? null;
  if (id === state.userId) return;
  state.userId = id;
  state.generation += 1;
  state.list = new Map();
  state.listLoaded = false;
  state.listLoading = null;
  state.queue = [];
  state.convos = new Map();
  state.active = null;
  state.typing = new Map();
  store.setBadge("chats", 0);
  if (u) loadList().catch((err) => err.status !== 401 && console.warn("chat list failed", err));
});
