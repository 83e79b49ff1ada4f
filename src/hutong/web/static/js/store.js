// App-wide state and a small event bus. Views subscribe with `on()` and must unsubscribe when
// they unmount (ctx.on in the router does that for them).

const listeners = new Map();

export const state = {
  /** The signed-in user (the `Me` shape of GET /me), or null. */
  user: null,
  /** This browser's session id when known (from sign-in or the devices list). */
  sessionId: null,
  /** The realtime socket: "stopped" | "connecting" | "online" | "offline" (retrying). */
  realtime: "stopped",
  /** Counts on the tab bar: {chats: unread messages, contacts: pending friend requests}. */
  badges: { chats: 0, contacts: 0 },
};

export function on(type, fn) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(fn);
  return () => listeners.get(type)?.delete(fn);
}

export function emit(type, detail) {
  for (const fn of [...(listeners.get(type) || [])]) {
    try {
      fn(detail);
    } catch (err) {
      console.error(`listener for ${type} failed`, err);
    }
  }
}

export function setUser(user) {
  state.user = user;
  emit("user", user);
}

export function setRealtime(status) {
  state.realtime = status;
  document.documentElement.dataset.realtime = status;
  emit("realtime", status);
}

export function setBadge(tab, count) {
  if (state.badges[tab] === count) return;
  state.badges[tab] = count;
  emit("badges", state.badges);
}

// A one-shot message shown by the next screen (e.g. "This device was signed out").
let flash = null;

export function setFlash(message, kind = "info") {
  flash = { message, kind };
}

export function takeFlash() {
  const f = flash;
  flash = null;
  return f;
}
