// The microblog (Discover → Feed): calls to /microblog/*, and my notifications.
//
// Notifications travel on the sync backbone (`microblog.follow|mention|comment|repost|like`
// events in my log). The realtime client hands each event over once, in order, whether it
// arrives live or while catching up; this module keeps them per user in localStorage (newest
// first, capped), so the list survives a reload. A fresh device starts its log from 0 and so
// rebuilds the same list. Entries are keyed by seq: nothing is kept twice.
//
// The bus hears "feed:notes" when the list or its unread count changes, and "feed:new" (with
// the new post's id) when a followee's post just reached my home timeline (the ephemeral
// `microblog.timeline` message; followers of celebrities learn it from GET /home/new instead).

import { api } from "../api.js";
import * as store from "../store.js";

export const NOTE_KINDS = ["follow", "mention", "comment", "repost", "like"];
const MAX_NOTES = 300;

const enc = encodeURIComponent;
const page = (path, cursor, limit = 20) => {
  const sep = path.includes("?") ? "&" : "?";
  return api.get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${enc(cursor)}` : ""}`);
};

// -- posts and timelines --------------------------------------------------------------------

export const home = (cursor) => page("/microblog/home", cursor);
export const count = (text) => api.post("/microblog/count", { text });
export const newCount = (since) => api.get(`/microblog/home/new?since=${since}`);
export const post = (id) => api.get(`/microblog/posts/${id}`);
export const create = (body) => api.post("/microblog/posts", body);
export const remove = (id) => api.del(`/microblog/posts/${id}`);
export const repost = (id, body) => api.post(`/microblog/posts/${id}/reposts`, body);
export const repostsOf = (id, cursor) => page(`/microblog/posts/${id}/reposts`, cursor);
export const like = (id, on) => (on ? api.put(`/microblog/posts/${id}/like`) : api.del(`/microblog/posts/${id}/like`));

export function uploadImage(file) {
  const form = new FormData();
  form.append("file", file, file.name || "image");
  return api.postForm("/microblog/images", form);
}

// -- comments -------------------------------------------------------------------------------

export const comments = (postId, cursor) => page(`/microblog/posts/${postId}/comments`, cursor);
export const replies = (commentId, cursor) => page(`/microblog/comments/${commentId}/replies`, cursor);
export const comment = (postId, text, replyTo = null) => api.post(`/microblog/posts/${postId}/comments`, { text, reply_to: replyTo });
export const removeComment = (id) => api.del(`/microblog/comments/${id}`);
export const likeComment = (id, on) => (on ? api.put(`/microblog/comments/${id}/like`) : api.del(`/microblog/comments/${id}/like`));

// -- people, topics, hot, search ------------------------------------------------------------

export const profile = (handle) => api.get(`/microblog/users/${enc(handle)}`);
export const postsOf = (handle, cursor) => page(`/microblog/users/${enc(handle)}/posts`, cursor);
export const follow = (handle, on) => (on ? api.put(`/microblog/users/${enc(handle)}/follow`) : api.del(`/microblog/users/${enc(handle)}/follow`));
export const followers = (handle, cursor) => page(`/microblog/users/${enc(handle)}/followers`, cursor);
export const following = (handle, cursor) => page(`/microblog/users/${enc(handle)}/following`, cursor);
export const topic = (name, cursor) => page(`/microblog/topics/${enc(name)}`, cursor);
export const suggestTopics = (q) => api.get(`/microblog/topics?q=${enc(q)}`);
export const hot = () => api.get("/microblog/hot");
export const hotPosts = () => api.get("/microblog/hot/posts?limit=20");
export const searchPosts = (q, cursor) => page(`/microblog/search/posts?q=${enc(q)}`, cursor);
export const searchUsers = (q, limit = 20) => api.get(`/microblog/search/users?q=${enc(q)}&limit=${limit}`);

// -- notifications --------------------------------------------------------------------------

const notes = { userId: null, list: [], read: 0 };

const listKey = (id) => `hutong:feed-notes:${id}`;
const readKey = (id) => `hutong:feed-read:${id}`;

function load(userId) {
  notes.userId = userId;
  notes.list = [];
  notes.read = 0;
  if (!userId) return;
  try {
    const saved = JSON.parse(localStorage.getItem(listKey(userId)) || "[]");
    if (Array.isArray(saved)) notes.list = saved.filter((n) => n && typeof n.seq === "number");
  } catch {
    notes.list = [];
  }
  notes.read = Number(localStorage.getItem(readKey(userId))) || 0;
}

function save() {
  if (!notes.userId) return;
  try {
    localStorage.setItem(listKey(notes.userId), JSON.stringify(notes.list));
  } catch {
    notes.list = notes.list.slice(0, MAX_NOTES / 2); // storage full: keep the newest half
  }
}

/** My notifications, newest first: {seq, kind, payload, at}. */
export function notifications() {
  return notes.list;
}

export function unreadCount() {
  let n = 0;
  for (const note of notes.list) if (note.seq > notes.read) n += 1;
  return n;
}

/** The newest seq already seen. */
export function lastRead() {
  return notes.read;
}

/** Everything listed so far has been seen. */
export function markAllRead() {
  const top = notes.list[0]?.seq || 0;
  if (top <= notes.read || !notes.userId) return;
  notes.read = top;
  localStorage.setItem(readKey(notes.userId), String(top));
  store.emit("feed:notes", notes);
}

function remember(event) {
  const userId = store.state.user?.id;
  if (!userId) return;
  if (notes.userId !== userId) load(userId);
  if (notes.list.some((n) => n.seq === event.seq)) return;
  const note = { seq: event.seq, kind: event.kind.slice("microblog.".length), payload: event.payload || {}, at: event.at };
  notes.list = [note, ...notes.list].sort((a, b) => b.seq - a.seq).slice(0, MAX_NOTES);
  save();
  store.emit("feed:notes", notes);
}

for (const kind of NOTE_KINDS) store.on(`event:microblog.${kind}`, ({ event }) => remember(event));

store.on("ephemeral:microblog.timeline", (payload) => {
  if (payload && payload.author_id !== store.state.user?.id) store.emit("feed:new", payload);
});

store.on("user", (u) => load(u?.id || null));
