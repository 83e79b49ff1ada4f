// The realtime client. It keeps the last sequence number it has handled (per user, in
// localStorage), catches up through GET /sync in pages, then holds a WebSocket opened with
// `since` so the server replays anything newer and streams the rest live. Events are handled
// once each and in order: anything at or below the stored sequence is dropped.
//
// Ephemeral frames ({"type":"ephemeral"}: typing, presence) are never stored; they go to
// `onEphemeral` as they come. `send()` puts a frame up the socket when it is live.
//
// On {"type":"revoked"} or close code 4001 this device was signed out; on 4401 the session is
// gone (checked with GET /me). Any other drop reconnects with capped exponential backoff.

import { api, socketUrl } from "./api.js";

const CLOSE_REVOKED = 4001;
const CLOSE_UNAUTHENTICATED = 4401;
const PING_EVERY_MS = 25_000;
const DEAD_AFTER_MS = 65_000; // the server pings every 20 s when idle
const MAX_BACKOFF_MS = 30_000;

export class Realtime {
  /**
   * @param {object} o
   * @param {number} o.userId
   * @param {(event: object, info: {live: boolean}) => void} o.onEvent
   * @param {() => void} o.onRevoked   this session was signed out
   * @param {(status: string) => void} o.onStatus
   *   "connecting" | "online" | "offline" (waiting to retry) | "stopped"
   * @param {(kind: string, payload: object) => void} [o.onEphemeral]
   */
  constructor({ userId, onEvent, onRevoked, onStatus, onEphemeral }) {
    this.userId = userId;
    this.onEvent = onEvent;
    this.onEphemeral = onEphemeral || (() => {});
    this.onRevoked = onRevoked;
    this.onStatus = onStatus;
    this.key = `hutong:seq:${userId}`;
    this.since = Number(localStorage.getItem(this.key)) || 0;
    this.ws = null;
    this.stopped = true;
    this.attempt = 0;
    this.timer = null;
    this.heartbeat = null;
    this.lastHeard = 0;
    this.live = false;
    this.connecting = false;
    this._online = () => this._reconnectNow();
    this._offline = () => this._drop();
    this._visible = () => {
      if (document.visibilityState === "visible") this._reconnectNow();
    };
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    addEventListener("online", this._online);
    addEventListener("offline", this._offline);
    document.addEventListener("visibilitychange", this._visible);
    this._connect();
  }

  stop() {
    this.stopped = true;
    removeEventListener("online", this._online);
    removeEventListener("offline", this._offline);
    document.removeEventListener("visibilitychange", this._visible);
    clearTimeout(this.timer);
    this._closeSocket();
    this.onStatus("stopped");
  }

  /** Send a frame up the live socket; false when there is none (nothing is queued). */
  send(frame) {
    if (!this.live || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  _closeSocket() {
    clearInterval(this.heartbeat);
    this.live = false;
    if (this.ws) {
      this.ws.onclose = this.ws.onmessage = this.ws.onerror = null;
      this.ws.close(1000);
      this.ws = null;
    }
  }

  /** The browser went offline: don't wait for a dead socket to time out. */
  _drop() {
    if (this.stopped || this.connecting) return;
    this._closeSocket();
    this._retry();
  }

  _setSince(seq) {
    this.since = seq;
    const stored = Number(localStorage.getItem(this.key)) || 0;
    if (seq > stored) localStorage.setItem(this.key, String(seq));
  }

  _handle(event) {
    if (typeof event.seq !== "number" || event.seq <= this.since) return;
    this._setSince(event.seq);
    this.onEvent(event, { live: this.live });
  }

  /** Page through GET /sync until caught up; the socket then starts from there. */
  async _catchUp() {
    for (;;) {
      const page = await api.get(`/sync?since=${this.since}&limit=200`, { ignore401: true });
      for (const ev of page.events) this._handle({ type: "event", ...ev });
      if (!page.has_more || this.stopped) return;
    }
  }

  async _connect() {
    if (this.stopped || this.connecting || this.ws) return;
    this.connecting = true;
    this.live = false;
    this.onStatus("connecting");
    try {
      await this._catchUp();
    } catch (err) {
      this.connecting = false;
      if (err.status === 401) return this._signedOut();
      return this._retry();
    }
    this.connecting = false;
    if (this.stopped) return;
    const ws = new WebSocket(socketUrl(`/ws?since=${this.since}`));
    this.ws = ws;
    this.lastHeard = Date.now();
    ws.onmessage = (msg) => {
      this.lastHeard = Date.now();
      let data;
      try {
        data = JSON.parse(msg.data);
      } catch {
        return;
      }
      if (data.type === "event") this._handle(data);
      else if (data.type === "ephemeral") this.onEphemeral(data.kind, data.payload || {});
      else if (data.type === "ready") {
        this.attempt = 0;
        this.live = true;
        this.onStatus("online");
      } else if (data.type === "revoked") this._signedOut();
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.live = false;
      clearInterval(this.heartbeat);
      if (this.stopped) return;
      if (e.code === CLOSE_REVOKED) return this._signedOut();
      if (e.code === CLOSE_UNAUTHENTICATED) return this._checkSession();
      this._retry();
    };
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this.lastHeard > DEAD_AFTER_MS) ws.close(4000, "no heartbeat");
      else ws.send(JSON.stringify({ type: "ping" }));
    }, PING_EVERY_MS);
  }

  async _checkSession() {
    try {
      await api.get("/me", { ignore401: true });
      this._retry();
    } catch (err) {
      if (err.status === 401) this._signedOut();
      else this._retry();
    }
  }

  _signedOut() {
    if (this.stopped) return;
    this.stop();
    this.onRevoked();
  }

  _retry() {
    if (this.stopped) return;
    this.onStatus("offline");
    const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt);
    this.attempt += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this._connect(), base / 2 + Math.random() * (base / 2));
  }

  _reconnectNow() {
    if (this.stopped || this.ws || this.connecting) return;
    clearTimeout(this.timer);
    this.attempt = 0;
    this._connect();
  }
}
