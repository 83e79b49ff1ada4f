// The host's own sheets for a running app: consent to share the profile, choose a chat to
// share a card into, scan a code. They belong to Hutong, never to the app's frame.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import * as chats from "../../data/chats.js";
import * as contacts from "../../data/contacts.js";
import { icon } from "../../icons.js";
import { avatar } from "../../ui/avatar.js";
import { openSheet } from "../../ui/feedback.js";
import { spinner } from "../../ui/layout.js";
import { appIcon } from "./common.js";

/** "<App> would like your nickname and profile photo": resolves true (Allow) or false. */
export function consentSheet(app) {
  return openSheet(
    (close) =>
      h(
        "div",
        { class: "sheet consent-sheet", role: "dialog", "aria-modal": "true", "aria-labelledby": "consent-title", testid: "consent-sheet" },
        h(
          "div",
          { class: "sheet-head" },
          h("div", { class: "consent-app" }, appIcon(app, { size: "sm" }), h("span", {}, app.name)),
          h("p", { class: "sheet-title", id: "consent-title" }, "Share your profile?"),
          h("p", { class: "sheet-text" }, `${app.name} would like your nickname and profile photo. It will not see your Hutong ID, contacts or chats. You can take this back in Me → Settings → Mini Programs.`),
        ),
        h("button", { type: "button", class: "sheet-btn is-primary", testid: "consent-allow", onclick: () => close(true) }, "Allow"),
        h("div", { class: "sheet-gap" }),
        h("button", { type: "button", class: "sheet-btn", testid: "consent-deny", onclick: () => close(false) }, "Deny"),
      ),
    { cancelValue: false, focus: (sheet) => sheet.querySelector("[data-testid=consent-allow]") },
  );
}

function chatName(c) {
  return c.name || c.peer?.display_name || c.peer?.handle || `Chat ${c.id}`;
}

/**
 * Pick where to send: my chats, most recent first, then friends I have no chat with yet (as
 * WeChat's "Send to" does). Resolves a chat (opening the direct chat with a chosen friend),
 * or null.
 */
export function chooseChat({ title = "Send to", card }) {
  return openSheet(
    (close) => {
      const list = h("div", { class: "sheet-list chat-choices", testid: "chat-choices" }, spinner());
      const choice = (key, label, face, onclick) =>
        h("button", { type: "button", class: "chat-choice", testid: "chat-choice", dataset: { key }, onclick }, face, h("span", { class: "chat-choice-name" }, label));
      const pickFriend = async (userId) => {
        try {
          close(await chats.openDirect(userId));
        } catch (err) {
          mount(list, h("p", { class: "sheet-text" }, err.detail || "Could not open that chat."));
        }
      };
      const paint = () => {
        const open = chats.list().filter((c) => c.status !== "left" && c.status !== "removed");
        const peers = new Set(open.map((c) => c.peer?.id).filter(Boolean));
        const others = contacts.friends().filter((f) => !peers.has(f.user.id));
        const rows = [
          ...open.map((c) =>
            choice(`chat-${c.id}`, chatName(c), c.peer ? avatar(c.peer, { size: "sm" }) : h("span", { class: "cell-icon tone-green" }, icon("group", { size: 18 })), () => close(c)),
          ),
          others.length ? h("p", { class: "chat-choices-title" }, "Friends") : null,
          ...others.map((f) => choice(`user-${f.user.id}`, f.remark || f.user.display_name || f.user.handle, avatar(f.user, { size: "sm" }), () => pickFriend(f.user.id))),
        ];
        mount(list, open.length || others.length ? rows : h("p", { class: "sheet-text" }, "Add friends or start a chat first."));
      };
      Promise.all([chats.listLoaded() ? null : chats.loadList(), contacts.loadFriends()]).then(paint, () =>
        mount(list, h("p", { class: "sheet-text" }, "Could not load your chats.")),
      );
      return h(
        "div",
        { class: "sheet share-sheet", role: "dialog", "aria-modal": "true", "aria-label": title, testid: "share-sheet" },
        h("div", { class: "sheet-head" }, h("p", { class: "sheet-title" }, title), card ? h("p", { class: "sheet-text", testid: "share-card-title" }, card) : null),
        list,
        h("div", { class: "sheet-gap" }),
        h("button", { type: "button", class: "sheet-btn", testid: "sheet-cancel", onclick: () => close(null) }, "Cancel"),
      );
    },
    { focus: (sheet) => sheet.querySelector("[data-testid=sheet-cancel]") },
  );
}

/** Read a QR code from a photo the user picks: resolves its text, or null. */
export function scanSheet() {
  return openSheet((close) => {
    const status = h("p", { class: "sheet-text", testid: "scan-status" }, "Choose a photo of the code.");
    const input = h("input", { type: "file", accept: "image/*", capture: "environment", testid: "scan-file", class: "sr-only" });
    input.addEventListener("change", async () => {
      const file = input.files?.[0];
      if (!file) return;
      const body = new FormData();
      body.append("file", file);
      mount(status, "Reading the code…");
      try {
        const out = await api.postForm("/contacts/scan", body);
        close(out.text || (out.token ? `${location.origin}/qr/${out.token}` : null));
      } catch (err) {
        mount(status, err.detail || "No code found in that photo.");
      }
    });
    return h(
      "div",
      { class: "sheet", role: "dialog", "aria-modal": "true", "aria-label": "Scan", testid: "scan-sheet" },
      h("div", { class: "sheet-head" }, h("p", { class: "sheet-title" }, "Scan a code"), status),
      h("label", { class: "sheet-btn is-primary" }, "Choose Photo", input),
      h("div", { class: "sheet-gap" }),
      h("button", { type: "button", class: "sheet-btn", testid: "sheet-cancel", onclick: () => close(null) }, "Cancel"),
    );
  });
}
