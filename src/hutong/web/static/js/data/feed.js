// The microblog (Discover → Feed): calls to /microblog/*, and my notifications.
//
// Notifications are kept by the server (GET /microblog/notifications, newest first, with an
// unread count and a read mark), so every device shows the same list. Each one also arrives as
// a `microblog.follow|mention|comment|repost|like` event in my sync log: this module then asks
// the unread count again (it badges the Feed bell, Discover's Feed row and the Discover tab).
//
// The bus hears "feed:notes" when the unread count changes, "feed:note" (the event) when a
// notification arrives so an open list can fetch it, and "feed:new" (with the new post's id)
// when a followee's post just reached my home timeline (the ephemeral `microblog.timeline`
// message; followers of celebrities learn it from GET /home/new instead).

import { api } from "../api.js";
import * as store from "../store.js";
import { debounce } from "../util.js";

export const NOTE_KINDS = ["follow", "mention", "comment", "repost", "like"];

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

// `?kind=` values of GET /microblog/notifications, one per filter of the notifications screen.
export const NOTE_FILTERS = ["mentions", "comments", "reposts", "likes", "follows"];

// `asked` numbers the count requests; an answer older than one already applied is dropped.
const notes = { userId: null, unread: 0, generation: 0, asked: 0, applied: 0 };

// Discover's tab shows my unread notifications (the tab bar paints badges it knows about).
if (!("discover" in store.state.badges)) store.state.badges.discover = 0;

/** A page of my notifications, newest first; `kind` is one of NOTE_FILTERS or null (all). */
export const notifications = (cursor, kind = null) => page(`/microblog/notifications${kind ? `?kind=${enc(kind)}` : ""}`, cursor);

/** My unread notification count, as the server last said. */
export function unreadCount() {
  return notes.unread;
}

function setUnread(out, gen, ticket) {
  if (gen !== notes.generation || ticket < notes.applied) return;
  notes.applied = ticket;
  const n = Number(out?.count) || 0;
  store.setBadge("discover", n);
  if (n === notes.unread) return;
  notes.unread = n;
  store.emit("feed:notes", { unread: n });
}

export async function loadUnread() {
  const gen = notes.generation;
  const ticket = ++notes.asked;
  setUnread(await api.get("/microblog/notifications/unread"), gen, ticket);
  return notes.unread;
}

/** Everything up to notification `id` has been seen (the mark only moves forward). */
export async function markRead(id) {
  if (!id || !notes.userId) return;
  const gen = notes.generation;
  const ticket = ++notes.asked;
  setUnread(await api.post("/microblog/notifications/read", { up_to: id }), gen, ticket);
}

const refreshUnread = debounce(() => loadUnread().catch((err) => err.status !== 401 && console.warn("notifications count failed", err)), 150);

// Each notification also arrives as an event in my sync log (live, or while catching up): the
// count is asked again, and an open notifications screen hears "feed:note" to fetch what's new.
for (const kind of NOTE_KINDS) {
  store.on(`event:microblog.${kind}`, ({ event }) => {
    refreshUnread();
    store.emit("feed:note", event);
  });
}

store.on("ephemeral:microblog.timeline", (payload) => {
  if (payload && payload.author_id !== store.state.user?.id) store.emit("feed:new", payload);
});

store.on("user", (u) => {
  const id = u?.id ?? null;
  if (id === notes.userId) return;
  notes.userId = id;
  notes.generation += 1;
  notes.unread = 0;
  notes.applied = notes.asked;
  store.setBadge("discover", 0);
  store.emit("feed:notes", { unread: 0 });
  if (!id) return;
  refreshUnread();
  try {
    // Lists this browser kept itself before the server did; nothing reads them any more.
    localStorage.removeItem(`hutong:feed-notes:${id}`);
    localStorage.removeItem(`hutong:feed-read:${id}`);
  } catch {
    // Storage unavailable: nothing to tidy.
  }
});
