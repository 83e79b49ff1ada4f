// The input bar under a conversation: text (Enter sends, Shift+Enter a new line), hold-to-talk
// voice notes, emoji, and the + panel (photo, video, file, location, contact card). In groups,
// typing "@" opens the member picker (owners and admins also get "All"). While I type, the
// others are told at most once every 3 seconds.

import { h, mount } from "../../dom.js";
import { clock } from "../../format.js";
import { icon } from "../../icons.js";
import * as chats from "../../data/chats.js";
import * as contacts from "../../data/contacts.js";
import * as users from "../../data/users.js";
import { sendRealtime } from "../../session.js";
import * as store from "../../store.js";
import { avatar } from "../../ui/avatar.js";
import { toast } from "../../ui/feedback.js";
import { canRecord, startRecording } from "./media.js";

const EMOJI = "😀 😂 🤣 😊 😍 😘 😎 🤔 😴 😭 😡 👍 👎 👏 🙏 💪 🤝 👋 🎉 ❤️ 💔 🔥 ✨ 🌹 🍵 🍜 🥟 🧧 🏮 🐼 ☀️ 🌙 ⭐ 🎂 🎁 ✅ ❌ ❓ 💯 😅 🙈".split(" ");
const TYPING_EVERY_MS = 3000;
const VOICE_MAX_S = 60;
const FILE_MAX = 100 * 1024 * 1024;

function imageDims(file) {
  return new Promise((resolve) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => resolve({ url, width: img.naturalWidth, height: img.naturalHeight });
    img.onerror = () => resolve({ url, width: 0, height: 0 });
    img.src = url;
  });
}

/** Pick a friend to send as a contact card. */
function cardPicker(onPick) {
  const friends = contacts.friends() || [];
  const close = () => overlay.remove();
  const overlay = h(
    "div",
    { class: "overlay is-in", onclick: (e) => e.target === overlay && close() },
    h(
      "div",
      { class: "sheet picker-sheet", role: "dialog", "aria-label": "Send a contact card", testid: "card-picker" },
      h("div", { class: "sheet-head" }, h("p", { class: "sheet-title" }, "Send a Contact Card")),
      h(
        "div",
        { class: "picker-list" },
        friends.length
          ? friends.map((f) =>
              h(
                "button",
                { type: "button", class: "cell cell--link person-row", testid: `card-${f.user.handle}`, onclick: () => (close(), onPick(f.user)) },
                avatar(f.user, { size: "sm" }),
                h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, f.remark || f.user.display_name)),
              ),
            )
          : h("p", { class: "cells-foot center" }, "No friends to share yet."),
      ),
      h("button", { type: "button", class: "sheet-btn", onclick: close }, "Cancel"),
    ),
  );
  document.body.append(overlay);
}

/**
 * @param {object} o {ctx, chatId, chat: () => ChatOut, members: () => MemberOut[]|null,
 *                    loadMembers: () => Promise, onSend: () => void}
 */
export function composer({ ctx, chatId, chat, members, loadMembers, onSend }) {
  let lastTyping = 0;
  let mode = "text"; // | "voice"
  let panel = null; // null | "emoji" | "more"
  const picked = new Map(); // "@Name" → user id (or "all")

  const input = h("textarea", { class: "composer-input", rows: 1, testid: "composer-input", placeholder: "", "aria-label": "Message", enterkeyhint: "send", maxlength: 5000 });
  const send = h("button", { type: "button", class: "btn btn--primary btn--small composer-send", testid: "composer-send", hidden: true }, "Send");
  const plus = h("button", { type: "button", class: "composer-btn", testid: "composer-plus", "aria-label": "More" }, icon("plus", { size: 26 }));
  const emojiBtn = h("button", { type: "button", class: "composer-btn", testid: "composer-emoji", "aria-label": "Emoji" }, icon("smile", { size: 26 }));
  const voiceBtn = h("button", { type: "button", class: "composer-btn", testid: "composer-voice", "aria-label": "Voice message" }, icon("mic", { size: 24 }));
  const hold = h("button", { type: "button", class: "composer-hold", testid: "composer-hold", hidden: true }, "Hold to Talk");
  const panelEl = h("div", { class: "composer-panel", testid: "composer-panel", hidden: true });
  const mentionEl = h("div", { class: "mention-picker", testid: "mention-picker", role: "listbox", hidden: true });
  const recordHud = h("div", { class: "record-hud", testid: "record-hud", hidden: true });
  const blocked = h("div", { class: "composer-blocked", testid: "composer-blocked", hidden: true });
  const fileInputs = {
    image: h("input", { type: "file", accept: "image/*", multiple: true, class: "sr-only", testid: "pick-image" }),
    video: h("input", { type: "file", accept: "video/*", class: "sr-only", testid: "pick-video" }),
    file: h("input", { type: "file", class: "sr-only", testid: "pick-file" }),
  };

  const row = h("div", { class: "composer-row" }, voiceBtn, h("div", { class: "composer-field" }, input, hold), emojiBtn, plus, send);
  const el = h("footer", { class: "composer", testid: "composer" }, mentionEl, blocked, row, panelEl, recordHud, Object.values(fileInputs));

  function autosize() {
    input.style.height = "auto";
    input.style.height = `${Math.min(120, input.scrollHeight)}px`;
  }

  function refreshButtons() {
    const has = input.value.trim().length > 0;
    send.hidden = !has || mode !== "text";
    plus.hidden = has && mode === "text";
  }

  function typing() {
    const now = Date.now();
    if (now - lastTyping < TYPING_EVERY_MS) return;
    lastTyping = now;
    sendRealtime({ type: "typing", chat_id: chatId });
  }

  // -- @mentions ---------------------------------------------------------------------------

  function closeMentions() {
    mentionEl.hidden = true;
    mount(mentionEl);
  }

  async function openMentions() {
    if (chat()?.kind !== "group") return;
    let list = members();
    if (!list) {
      try {
        list = await loadMembers();
      } catch {
        return;
      }
    }
    const me = store.state.user.id;
    const c = chat();
    const options = list.filter((m) => m.user.id !== me).map((m) => ({ id: m.user.id, name: users.nameOf(m.user), user: m.user }));
    if (c && c.role !== "member") options.unshift({ id: "all", name: "All" });
    mount(
      mentionEl,
      h("p", { class: "mention-title" }, "Choose who to mention"),
      options.map((o) =>
        h(
          "button",
          { type: "button", class: "mention-item", role: "option", testid: o.id === "all" ? "mention-all" : `mention-${o.user.handle}`, onclick: () => chooseMention(o) },
          o.user ? avatar(o.user, { size: "sm" }) : h("span", { class: "avatar avatar--sm avatar--group" }, icon("group", { size: 16 })),
          h("span", {}, o.id === "all" ? "All members" : o.name),
        ),
      ),
    );
    mentionEl.hidden = false;
  }

  function chooseMention(o) {
    const pos = input.selectionStart;
    const before = input.value.slice(0, pos);
    const at = before.lastIndexOf("@");
    const tag = `@${o.name}`;
    input.value = `${input.value.slice(0, at)}${tag} ${input.value.slice(pos)}`;
    picked.set(tag, o.id);
    const caret = at + tag.length + 1;
    input.setSelectionRange(caret, caret);
    closeMentions();
    refreshButtons();
    input.focus();
  }

  /** Mention someone from outside (long-press on their message). */
  function mention(user) {
    const tag = `@${users.nameOf(user)}`;
    picked.set(tag, user.id);
    input.value = `${input.value}${input.value && !input.value.endsWith(" ") ? " " : ""}${tag} `;
    refreshButtons();
    autosize();
    input.focus();
  }

  // -- sending -----------------------------------------------------------------------------

  function sendText() {
    const text = input.value.trim();
    if (!text) return;
    const mentions = [];
    let all = false;
    for (const [tag, id] of picked) {
      if (!text.includes(tag)) continue;
      if (id === "all") all = true;
      else mentions.push(id);
    }
    chats.send(chatId, { kind: "text", text, mentions, mention_all: all });
    input.value = "";
    picked.clear();
    autosize();
    refreshButtons();
    closeMentions();
    onSend?.();
    input.focus();
  }

  async function sendFiles(kind, files) {
    for (const file of files) {
      if (file.size > FILE_MAX) {
        toast(`${file.name} is larger than 100 MB.`, { kind: "error" });
        continue;
      }
      let preview = { name: file.name, size: file.size, mime: file.type };
      if (kind === "image") {
        const d = await imageDims(file);
        preview = { ...preview, local_url: d.url, width: d.width, height: d.height };
      } else if (kind === "video") preview.local_url = URL.createObjectURL(file);
      chats.send(chatId, { kind, file, fileName: file.name, preview });
      onSend?.();
    }
  }

  for (const [kind, inp] of Object.entries(fileInputs)) {
    inp.addEventListener("change", () => {
      const files = [...(inp.files || [])];
      inp.value = "";
      togglePanel(null);
      sendFiles(kind, files);
    });
  }

  async function sendRedPacket() {
    togglePanel(null);
    const current = chat();
    if (current?.kind === "group" && !members()) await loadMembers();
    const rp = await import("./redpacket.js");
    rp.sendSheet({ chat: current, members: members() });
  }

  function shareLocation() {
    togglePanel(null);
    if (!navigator.geolocation) return toast("This browser can't tell where you are.", { kind: "error" });
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        const { latitude: lat, longitude: lng } = pos.coords;
        chats.send(chatId, { kind: "location", lat, lng, place: "My location", preview: { lat, lng, place: "My location" } });
        onSend?.();
      },
      () => toast("Location isn't available. Allow it in the browser's site settings.", { kind: "error" }),
      { enableHighAccuracy: false, timeout: 10000 },
    );
  }

  function shareCard() {
    togglePanel(null);
    cardPicker((user) => {
      chats.send(chatId, { kind: "card", user_id: user.id, preview: { user } });
      onSend?.();
    });
  }

  // -- panels ------------------------------------------------------------------------------

  function togglePanel(which) {
    panel = panel === which ? null : which;
    panelEl.hidden = !panel;
    if (panel === "emoji") {
      mount(
        panelEl,
        h(
          "div",
          { class: "emoji-grid", testid: "emoji-grid" },
          EMOJI.map((e) =>
            h(
              "button",
              {
                type: "button",
                class: "emoji",
                onclick: () => {
                  const pos = input.selectionStart ?? input.value.length;
                  input.value = input.value.slice(0, pos) + e + input.value.slice(pos);
                  input.setSelectionRange(pos + e.length, pos + e.length);
                  refreshButtons();
                },
              },
              e,
            ),
          ),
        ),
      );
    } else if (panel === "more") {
      const tile = (iconName, label, testid, onClick) => h("button", { type: "button", class: "more-tile", testid, onclick: onClick }, h("span", { class: "more-icon" }, icon(iconName, { size: 28 })), h("span", {}, label));
      mount(
        panelEl,
        h(
          "div",
          { class: "more-grid" },
          tile("image", "Photos", "more-photo", () => fileInputs.image.click()),
          tile("video", "Video", "more-video", () => fileInputs.video.click()),
          tile("file", "File", "more-file", () => fileInputs.file.click()),
          tile("location", "Location", "more-location", shareLocation),
          tile("card", "Contact Card", "more-card", shareCard),
          tile("redpacket", "Red Packet", "more-redpacket", sendRedPacket),
        ),
      );
    }
  }

  emojiBtn.addEventListener("click", () => {
    if (mode === "voice") setMode("text");
    togglePanel("emoji");
  });
  plus.addEventListener("click", () => togglePanel("more"));

  // -- voice -------------------------------------------------------------------------------

  function setMode(next) {
    mode = next;
    input.hidden = mode === "voice";
    hold.hidden = mode !== "voice";
    mount(voiceBtn, icon(mode === "voice" ? "keyboard" : "mic", { size: 24 }));
    voiceBtn.setAttribute("aria-label", mode === "voice" ? "Keyboard" : "Voice message");
    togglePanel(null);
    refreshButtons();
    if (mode === "text") input.focus();
  }

  voiceBtn.addEventListener("click", () => {
    if (mode === "text" && !canRecord()) return toast("This browser can't record audio.", { kind: "error" });
    setMode(mode === "text" ? "voice" : "text");
  });

  let recording = null;
  let recTimer = null;
  let cancelled = false;

  function hud(text, cancel = false) {
    recordHud.hidden = false;
    recordHud.classList.toggle("is-cancel", cancel);
    mount(recordHud, h("span", { class: "record-icon" }, icon(cancel ? "close" : "mic", { size: 36 })), h("span", { class: "record-text" }, text));
  }

  async function startVoice(e) {
    e.preventDefault();
    if (recording) return;
    hold.setPointerCapture?.(e.pointerId);
    cancelled = false;
    hold.classList.add("is-active");
    hold.textContent = "Release to Send";
    try {
      recording = await startRecording();
    } catch {
      hold.classList.remove("is-active");
      hold.textContent = "Hold to Talk";
      return toast("The microphone isn't available. Allow it in the browser's site settings.", { kind: "error" });
    }
    const tick = () => {
      if (!recording) return;
      const s = (performance.now() - recording.started) / 1000;
      if (!cancelled) hud(`${clock(s * 1000)} · Slide up to cancel`);
      if (s >= VOICE_MAX_S) stopVoice();
    };
    tick();
    recTimer = setInterval(tick, 250);
  }

  async function stopVoice() {
    clearInterval(recTimer);
    hold.classList.remove("is-active");
    hold.textContent = "Hold to Talk";
    recordHud.hidden = true;
    const rec = recording;
    recording = null;
    if (!rec) return;
    if (cancelled) return rec.cancel();
    const { blob, duration } = await rec.stop();
    if (duration < 1) return toast("Too short to send.");
    const d = Math.min(VOICE_MAX_S, Math.round(duration * 10) / 10);
    const file = new File([blob], "voice.wav", { type: blob.type });
    chats.send(chatId, { kind: "voice", file, fileName: file.name, duration_s: d, preview: { duration_s: d, local_url: URL.createObjectURL(blob) } });
    onSend?.();
  }

  hold.addEventListener("pointerdown", startVoice);
  hold.addEventListener("pointerup", stopVoice);
  hold.addEventListener("pointercancel", () => {
    cancelled = true;
    stopVoice();
  });
  hold.addEventListener("pointermove", (e) => {
    if (!recording) return;
    const r = hold.getBoundingClientRect();
    const out = e.clientY < r.top - 40;
    if (out !== cancelled) {
      cancelled = out;
      hud(out ? "Release to cancel" : "Slide up to cancel", out);
    }
  });
  hold.addEventListener("contextmenu", (e) => e.preventDefault());
  ctx.onCleanup(() => {
    clearInterval(recTimer);
    recording?.cancel();
  });

  // -- text input --------------------------------------------------------------------------

  input.addEventListener("input", (e) => {
    autosize();
    refreshButtons();
    if (input.value.trim()) typing();
    const pos = input.selectionStart;
    if (e.data === "@" && chat()?.kind === "group" && (pos === 1 || /\s/.test(input.value[pos - 2] || " "))) openMentions();
    else if (!mentionEl.hidden && !input.value.slice(0, pos).includes("@")) closeMentions();
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      sendText();
    } else if (e.key === "Escape" && !mentionEl.hidden) closeMentions();
  });
  input.addEventListener("focus", () => togglePanel(null));
  send.addEventListener("click", sendText);

  return {
    el,
    input,
    mention,
    /** The strip shown instead of the input bar while it is blocked (for richer content). */
    blockedEl: blocked,
    /** Block input with a reason ("All members are muted"; "" to fill `blockedEl` yourself),
     * or unblock it with null. */
    setBlocked(reason) {
      const on = reason !== null && reason !== undefined;
      blocked.hidden = !on;
      blocked.textContent = reason || "";
      row.hidden = on;
      if (on) togglePanel(null);
    },
  };
}
