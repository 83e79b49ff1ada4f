// #/me/devices — every signed-in device; any other one can be signed out on the spot.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { ago, day } from "../../format.js";
import { icon } from "../../icons.js";
import * as store from "../../store.js";
import { confirmSheet, toast } from "../../ui/feedback.js";
import { screen, spinner } from "../../ui/layout.js";

const PHONE = /iPhone|Android|iPad/i;

function deviceRow(s, onRevoke) {
  return h(
    "div",
    { class: "cell device", testid: `session-${s.id}`, dataset: { current: String(s.current), sessionId: String(s.id) } },
    h("span", { class: ["cell-icon", s.current ? "tone-green" : "tone-grey"] }, icon(PHONE.test(s.device_name) ? "phone" : "monitor", { size: 20 })),
    h(
      "span",
      { class: "cell-body" },
      h("span", { class: "cell-title" }, h("span", { testid: "session-name" }, s.device_name), s.kind === "api" ? h("span", { class: "chip" }, "App") : null),
      h(
        "span",
        { class: "cell-note" },
        [s.current ? "Active now" : `Active ${ago(s.last_seen_at)}`, s.ip, `since ${day(s.created_at)}`].filter(Boolean).join(" · "),
      ),
    ),
    s.current
      ? h("span", { class: "chip chip--green", testid: "session-current" }, "This device")
      : h("button", { type: "button", class: "btn btn--danger-ghost btn--small", testid: `revoke-${s.id}`, onclick: () => onRevoke(s) }, "Log out"),
  );
}

export function devicesView(ctx) {
  const list = h("div", { class: "cells", testid: "sessions" }, spinner());
  const status = h("p", { class: "cells-foot" }, "Logging out a device signs it out at once; it will need the password or a QR code to come back.");

  async function load() {
    try {
      const sessions = await api.get("/me/sessions", { signal: ctx.signal });
      if (!ctx.alive) return;
      const mine = sessions.find((s) => s.current);
      if (mine) store.state.sessionId = mine.id;
      mount(list, sessions.map((s) => deviceRow(s, revoke)));
      list.dataset.count = String(sessions.length);
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      mount(list, h("div", { class: "banner banner--error", testid: "form-error" }, err.detail), h("button", { type: "button", class: "btn btn--ghost btn--small", onclick: load }, "Retry"));
    }
  }

  async function revoke(s) {
    const ok = await confirmSheet({ title: `Log out ${s.device_name}?`, message: "That device is signed out immediately.", confirmLabel: "Log Out", danger: true });
    if (!ok) return;
    try {
      await api.del(`/me/sessions/${s.id}`);
      toast(`${s.device_name} was logged out`, { kind: "success" });
    } catch (err) {
      if (err.status !== 404) toast(err.detail, { kind: "error" });
    }
    load();
  }

  ctx.on("event:session.created", load);
  ctx.on("event:session.revoked", load);
  load();

  return screen(ctx, {
    title: "Devices",
    back: "/me",
    testid: "screen-devices",
    body: [h("div", { class: "cells-title" }, "Logged-in devices"), list, status],
  });
}
