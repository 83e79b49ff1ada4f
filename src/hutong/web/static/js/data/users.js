// Everyone the client has met — friends, chat members, peers, requesters — by id, and the name
// to show for each: my remark for a friend first, then their display name.

import * as store from "../store.js";

const users = new Map();
const remarks = new Map();

export function remember(user) {
  if (!user || typeof user.id !== "number") return user;
  users.set(user.id, { ...users.get(user.id), ...user });
  return user;
}

export function rememberAll(list) {
  for (const u of list || []) remember(u);
}

export function get(id) {
  if (id === store.state.user?.id) return store.state.user;
  return users.get(id) || null;
}

export function setRemark(id, remark) {
  if (remark) remarks.set(id, remark);
  else remarks.delete(id);
}

export function remarkOf(id) {
  return remarks.get(id) || "";
}

/** What to call someone: "You" for me if `you`, a remark, a display name, or a fallback. */
export function nameOf(idOrUser, { you = false, fallback = "Someone" } = {}) {
  const id = typeof idOrUser === "number" ? idOrUser : idOrUser?.id;
  if (you && id === store.state.user?.id) return "You";
  const u = typeof idOrUser === "object" && idOrUser ? idOrUser : get(id);
  return remarks.get(id) || u?.display_name || u?.handle || fallback;
}

store.on("user", (u) => {
  if (!u) {
    users.clear();
    remarks.clear();
  }
});
