// Signing in and out, and the realtime connection that lives as long as the session does.

import { api, onUnauthenticated, readCookie } from "./api.js";
import { navigate } from "./router.js";
import * as store from "./store.js";
import { toast } from "./ui/feedback.js";
import { Realtime } from "./ws.js";

export const SIGNED_OUT = "This device was signed out. Log in again to continue.";

let realtime = null;

/** Global reactions to events; screens add their own through ctx.on("event:<kind>"). */
const handlers = {
  "profile.updated"(event) {
    if (store.state.user && event.payload.id === store.state.user.id) {
      store.setUser({ ...store.state.user, ...event.payload });
    }
  },
  "session.created"(event, { live }) {
    if (live && event.payload.session_id !== store.state.sessionId) {
      toast(`New login on ${event.payload.device_name}`);
    }
  },
};

function dispatch(event, info) {
  handlers[event.kind]?.(event, info);
  store.emit("event", { event, ...info });
  store.emit(`event:${event.kind}`, { event, ...info });
}

/** Ephemeral frames (typing …) go on the bus as "ephemeral:<kind>". */
function dispatchEphemeral(kind, payload) {
  store.emit(`ephemeral:${kind}`, payload);
}

/** Send a frame up the realtime socket (e.g. {type: "typing", chat_id}); false when offline. */
export function sendRealtime(frame) {
  return realtime ? realtime.send(frame) : false;
}

/** Become signed in as `user` (from GET /me or an AuthOut) and connect realtime. */
export function begin(user, sessionId = null) {
  if (sessionId) store.state.sessionId = sessionId;
  store.setUser(user);
  realtime?.stop();
  realtime = new Realtime({
    userId: user.id,
    onEvent: dispatch,
    onRevoked: () => end(SIGNED_OUT),
    onStatus: store.setRealtime,
    onEphemeral: dispatchEphemeral,
  });
  realtime.start();
}

/** Forget the session locally and show the login page, with `message` if given. */
export function end(message = null) {
  realtime?.stop();
  realtime = null;
  store.state.sessionId = null;
  store.setUser(null);
  if (message) store.setFlash(message, "warning");
  navigate("/login", { replace: true });
}

/** Resume a session from the cookie. Resolves false when signed out; throws when offline. */
export async function restore() {
  // Both cookies are set and cleared together; without the readable one there is no session.
  if (!readCookie("hutong_csrf")) return false;
  try {
    const me = await api.get("/me", { ignore401: true });
    begin(me);
    return true;
  } catch (err) {
    if (err.status === 401 || err.status === 403) return false;
    throw err;
  }
}

export async function logout() {
  realtime?.stop(); // our own socket is closed by the server; don't report that as a revocation
  try {
    await api.post("/auth/logout", undefined, { ignore401: true });
  } catch {
    // Signed out already, or offline: either way this browser forgets the session.
  }
  end(null);
}

onUnauthenticated(() => {
  if (store.state.user) end(SIGNED_OUT);
});
