// The contacts I have in hand: my friends (with remarks, tags and the A–Z index) and friend
// requests to me. Loaded when I sign in, kept fresh by `contacts.*` events, announced on the
// bus as "contacts:friends" and "contacts:requests". The Contacts tab badge counts pending
// requests to me.

import { api } from "../api.js";
import * as store from "../store.js";
import { toast } from "../ui/feedback.js";
import { debounce } from "../util.js";
import * as users from "./users.js";

const state = {
  friends: null, // FriendOut[] sorted for the index, or null before the first load
  index: [],
  byId: new Map(),
  requests: null, // RequestOut[] to me, newest first
  generation: 0,
  userId: null,
};

export function friends() {
  return state.friends;
}

export function letters() {
  return state.index;
}

export function friend(id) {
  return state.byId.get(id) || null;
}

export function isFriend(id) {
  return state.byId.has(id);
}

export function requests() {
  return state.requests;
}

export function pendingCount() {
  return (state.requests || []).filter((r) => r.status === "pending").length;
}

function setFriends(out) {
  state.friends = out.friends;
  state.index = out.index;
  state.byId = new Map(out.friends.map((f) => [f.user.id, f]));
  for (const f of out.friends) {
    users.remember(f.user);
    users.setRemark(f.user.id, f.remark);
  }
  store.emit("contacts:friends", state.friends);
}

export async function loadFriends() {
  const gen = state.generation;
  const out = await api.get("/contacts/friends");
  if (gen !== state.generation) return state.friends;
  setFriends(out);
  return state.friends;
}

export async function loadRequests() {
  const gen = state.generation;
  const list = await api.get("/contacts/requests?direction=incoming");
  if (gen !== state.generation) return state.requests;
  state.requests = list;
  for (const r of list) users.remember(r.from_user);
  store.setBadge("contacts", pendingCount());
  store.emit("contacts:requests", state.requests);
  return state.requests;
}

const quietly = (fn) => () => fn().catch((err) => err.status !== 401 && console.warn("contacts refresh failed", err));
const refreshFriends = debounce(quietly(loadFriends), 120);
const refreshRequests = debounce(quietly(loadRequests), 120);

/** A friend changed (remark/tags saved here): update in place. */
export function putFriend(f) {
  if (!state.friends) return refreshFriends();
  users.setRemark(f.user.id, f.remark);
  refreshFriends();
}

export async function accept(requestId, body = {}) {
  const out = await api.post(`/contacts/requests/${requestId}/accept`, body);
  replaceRequest(out);
  refreshFriends();
  return out;
}

export async function decline(requestId) {
  const out = await api.post(`/contacts/requests/${requestId}/decline`);
  replaceRequest(out);
  return out;
}

function replaceRequest(r) {
  if (!state.requests) return;
  const i = state.requests.findIndex((x) => x.id === r.id);
  if (i >= 0) state.requests[i] = r;
  else if (r.to_user.id === store.state.user?.id) state.requests.unshift(r);
  store.setBadge("contacts", pendingCount());
  store.emit("contacts:requests", state.requests);
}

const me = () => store.state.user?.id;

const handlers = {
  "contacts.request_received"({ payload }, live) {
    if (payload.request) replaceRequest(payload.request);
    refreshRequests();
    if (live && payload.request) toast(`${payload.request.from_user.display_name} wants to be your friend`);
  },
  "contacts.request_accepted"({ payload }, live) {
    const r = payload.request;
    if (r) replaceRequest(r);
    refreshRequests();
    refreshFriends();
    if (live && r && r.from_user.id === me()) toast(`${r.to_user.display_name} accepted your friend request`, { kind: "success" });
  },
  "contacts.request_declined"({ payload }) {
    if (payload.request) replaceRequest(payload.request);
    refreshRequests();
  },
  "contacts.request_withdrawn"({ payload }) {
    if (payload.request) replaceRequest(payload.request);
    refreshRequests();
  },
  "contacts.friend_added": () => refreshFriends(),
  "contacts.friend_removed": () => refreshFriends(),
  "contacts.friend_updated"({ payload }) {
    if (payload.friend) users.setRemark(payload.friend.user.id, payload.friend.remark);
    refreshFriends();
  },
  "contacts.blocked": () => refreshFriends(),
  "contacts.unblocked": () => refreshFriends(),
};

store.on("event", ({ event, live }) => {
  const fn = handlers[event.kind];
  if (fn) fn(event, live);
});

store.on("user", (u) => {
  const id = u?.id ?? null;
  if (id === state.userId) return; // a profile edit, not another account
  state.userId = id;
  state.generation += 1;
  state.friends = null;
  state.index = [];
  state.byId = new Map();
  state.requests = null;
  store.setBadge("contacts", 0);
  if (u) {
    quietly(loadFriends)();
    quietly(loadRequests)();
  }
});
