// Red envelopes in a chat: the send sheet (from the composer's "+" panel), and the envelope
// sheet that opens when a red bubble is tapped — the 開 button, the amount, and who got what
// (the luckiest marked once every share is taken), or "expired" / "all taken".

import { api } from "../../api.js";
import { h } from "../../dom.js";
import { clockTime } from "../../format.js";
import * as users from "../../data/users.js";
import * as store from "../../store.js";
import { avatar } from "../../ui/avatar.js";
import { toast } from "../../ui/feedback.js";
import { newId } from "../../util.js";

const GREETING = "恭喜发财，大吉大利";

function yuan(fen) {
  return (fen / 100).toFixed(2);
}

function overlayWith(sheet) {
  const overlay = h("div", { class: "overlay is-in", onclick: (e) => e.target === overlay && overlay.remove() }, sheet);
  document.body.append(overlay);
  return overlay;
}

/**
 * The send sheet. `chat` is the ChatOut; `members` the group's MemberOut list (or null).
 */
export function sendSheet({ chat, members = [] }) {
  const group = chat.kind === "group";
  const me = store.state.user?.id;
  const others = (members || []).filter((m) => m.user.id !== me && m.status === "active");
  const kind = h(
    "select",
    { class: "rp-input", testid: "rp-kind", "aria-label": "Kind" },
    group ? [h("option", { value: "lucky" }, "Lucky (random amounts)"), h("option", { value: "normal" }, "Normal (equal amounts)"), h("option", { value: "exclusive" }, "Exclusive (one member)")] : h("option", { value: "direct" }, "Red Packet"),
  );
  const amount = h("input", { class: "rp-input", testid: "rp-amount-input", type: "text", inputmode: "decimal", placeholder: "0.00", "aria-label": "Amount (¥)" });
  const shares = h("input", { class: "rp-input", testid: "rp-shares", type: "number", min: "1", value: "1", "aria-label": "Number of packets" });
  const to = h("select", { class: "rp-input", testid: "rp-to", "aria-label": "For" }, others.map((m) => h("option", { value: String(m.user.id) }, users.nameOf(m.user))));
  const greeting = h("input", { class: "rp-input", testid: "rp-greeting", type: "text", maxlength: 100, placeholder: GREETING, "aria-label": "Greeting" });
  const pin = h("input", { class: "rp-input", testid: "rp-pin", type: "password", inputmode: "numeric", maxlength: 6, autocomplete: "off", placeholder: "Payment PIN", "aria-label": "Payment PIN" });
  const amountLabel = h("span", { class: "rp-label" }, group ? "Total (¥)" : "Amount (¥)");
  const error = h("p", { class: "rp-error", testid: "rp-error", hidden: true });
  const row = (label, input, testid) => h("label", { class: "rp-row", testid }, typeof label === "string" ? h("span", { class: "rp-label" }, label) : label, input);
  const sharesRow = row("Packets", shares, "rp-shares-row");
  const toRow = row("For", to, "rp-to-row");
  const refresh = () => {
    const k = kind.value;
    sharesRow.hidden = !(k === "lucky" || k === "normal");
    toRow.hidden = k !== "exclusive";
    amountLabel.textContent = k === "normal" ? "Each (¥)" : group ? "Total (¥)" : "Amount (¥)";
  };
  kind.addEventListener("change", refresh);
  const key = newId(); // kept while this sheet retries the same envelope
  const submit = h("button", { type: "submit", class: "btn btn--primary rp-send", testid: "rp-send" }, "Prepare Red Packet");
  const form = h(
    "form",
    {
      class: "sheet rp-send-sheet",
      testid: "rp-send-sheet",
      onsubmit: async (e) => {
        e.preventDefault();
        error.hidden = true;
        const fen = Math.round(Number.parseFloat(amount.value) * 100);
        if (!Number.isFinite(fen) || fen <= 0) {
          error.textContent = "Enter an amount.";
          error.hidden = false;
          return;
        }
        const body = { kind: kind.value, amount: fen, shares: sharesRow.hidden ? 1 : Number.parseInt(shares.value, 10) || 1, greeting: greeting.value.trim(), pin: pin.value };
        if (kind.value === "exclusive") body.to_user_id = Number(to.value);
        submit.disabled = true;
        try {
          await api.post(`/chats/${chat.id}/redpackets`, body, { headers: { "Idempotency-Key": key } });
          overlay.remove();
        } catch (err) {
          error.textContent = err.detail || "Could not send the red packet.";
          error.hidden = false;
          pin.value = "";
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("div", { class: "sheet-head" }, h("p", { class: "sheet-title" }, "Send Red Packet")),
    row("Kind", kind, "rp-kind-row"),
    sharesRow,
    toRow,
    row(amountLabel, amount, "rp-amount-row"),
    row("Greeting", greeting, "rp-greeting-row"),
    row("PIN", pin, "rp-pin-row"),
    error,
    submit,
    h("button", { type: "button", class: "sheet-btn", onclick: () => overlay.remove() }, "Cancel"),
  );
  const overlay = overlayWith(form);
  refresh();
  amount.focus();
}

function detailsList(env) {
  return h(
    "div",
    { class: "rp-list", testid: "rp-list" },
    h("p", { class: "rp-summary", testid: "rp-summary" }, `${env.opened_count}/${env.shares} opened, ¥${yuan(env.opened_amount)}/¥${yuan(env.total)}`),
    env.opened.map((o) =>
      h(
        "div",
        { class: "rp-share", testid: "rp-share", dataset: { user: String(o.user_id), amount: String(o.amount) } },
        avatar(users.get(o.user_id) || { handle: String(o.user_id) }, { size: "sm" }),
        h("span", { class: "rp-share-who" }, h("span", {}, users.nameOf(o.user_id)), h("span", { class: "rp-share-time" }, clockTime(o.opened_at))),
        h("span", { class: "rp-share-amount" }, `¥${yuan(o.amount)}`, o.luckiest ? h("span", { class: "rp-luckiest", testid: "rp-luckiest" }, "Best Luck") : null),
      ),
    ),
  );
}

/** The sheet for a red bubble: open it, or see who got what. */
export async function openEnvelope(m) {
  const id = m.body?.envelope_id;
  if (!id) return;
  const sheet = h("div", { class: "sheet rp-sheet", testid: "rp-sheet" });
  const overlay = overlayWith(sheet);
  const render = (env, note = null) => {
    const me = store.state.user?.id;
    const head = h(
      "div",
      { class: "rp-head" },
      avatar(users.get(env.sender_id) || { handle: String(env.sender_id) }, { size: "md" }),
      h("p", { class: "rp-from" }, `${users.nameOf(env.sender_id)}'s Red Packet`),
      h("p", { class: "rp-greeting" }, env.greeting),
    );
    const parts = [head];
    const mayOpen = env.my_amount === null && env.status === "open" && (env.to_user_id === null ? env.kind !== "direct" : env.to_user_id === me);
    if (env.my_amount !== null) parts.push(h("p", { class: "rp-amount", testid: "rp-amount" }, h("span", {}, yuan(env.my_amount)), h("small", {}, " ¥")));
    else if (note) parts.push(h("p", { class: "rp-state", testid: note.testid }, note.text));
    else if (env.status === "expired") parts.push(h("p", { class: "rp-state", testid: "rp-expired" }, "This red packet has expired."));
    else if (env.status === "all_taken") parts.push(h("p", { class: "rp-state", testid: "rp-all-taken" }, "Better luck next time! All packets are taken."));
    if (mayOpen && !note) {
      const btn = h("button", { type: "button", class: "rp-open", testid: "rp-open", "aria-label": "Open" }, "開");
      btn.addEventListener("click", async () => {
        btn.disabled = true;
        btn.classList.add("is-spinning");
        try {
          await api.post(`/redpackets/${id}/open`, {});
          render(await api.get(`/redpackets/${id}`));
        } catch (err) {
          const fresh = await api.get(`/redpackets/${id}`).catch(() => env);
          const testid = { "redpacket-all-taken": "rp-all-taken", "redpacket-expired": "rp-expired" }[err.code] || "rp-error";
          render(fresh, { testid, text: err.detail || "Could not open it." });
          if (testid === "rp-error") toast(err.detail || "Could not open it.", { kind: "error" });
        }
      });
      parts.push(btn);
    }
    if (env.sender_id === me || env.my_amount !== null || env.status !== "open") parts.push(detailsList(env));
    parts.push(h("button", { type: "button", class: "sheet-btn", testid: "rp-close", onclick: () => overlay.remove() }, "Close"));
    sheet.replaceChildren(...parts);
  };
  try {
    render(await api.get(`/redpackets/${id}`));
  } catch (err) {
    overlay.remove();
    toast(err.detail || "Could not load the red packet.", { kind: "error" });
  }
}
