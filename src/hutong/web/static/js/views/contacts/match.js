// #/contacts/match — which of my phone contacts are on Hutong. Numbers come from the phone's
// contact picker where the browser has one, or are pasted; numbers already in +E.164 form are
// sent as SHA-256 digests, the rest as typed (the server normalises them).

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { avatar } from "../../ui/avatar.js";
import { makeForm } from "../../ui/form.js";
import { screen } from "../../ui/layout.js";
import { personPath } from "./person.js";

const E164 = /^\+[1-9]\d{6,14}$/;

async function digest(text) {
  const bytes = new TextEncoder().encode(text);
  const hash = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function entriesFor(numbers) {
  const out = [];
  for (const raw of numbers) {
    const clean = raw.replace(/[\s().-]/g, "");
    if (!clean) continue;
    out.push(E164.test(clean) && globalThis.crypto?.subtle ? await digest(clean) : raw.trim());
  }
  return [...new Set(out)];
}

export function matchView(ctx) {
  const results = h("div", { testid: "match-results" });
  const canPick = "contacts" in navigator && "ContactsManager" in window;

  const form = makeForm({
    testid: "match-form",
    fields: [{ name: "numbers", label: "Phone numbers", multiline: true, rows: 6, placeholder: "One number per line, e.g. +8613800138000", maxlength: 200000, hint: "Only people who let others find them by phone number are shown." }],
    submitLabel: "Find Friends",
    submitTestid: "match-submit",
    onSubmit: async (v) => {
      const entries = await entriesFor(v.numbers.split(/[\n,;]+/));
      if (!entries.length) throw Object.assign(new Error("empty"), { name: "AbortError" });
      const res = await api.post("/contacts/match", { numbers: entries });
      if (!ctx.alive) return;
      mount(
        results,
        h("p", { class: "cells-foot", testid: "match-summary" }, `${res.matches.length} of ${res.checked} on Hutong · ${res.numbers_left_today} numbers left today`),
        res.matches.length
          ? h(
              "div",
              { class: "cells" },
              res.matches.map((m) =>
                h(
                  "a",
                  { class: "cell cell--link", href: `#${personPath(m.user.handle, { source: "phone", back: "/contacts/match" })}`, testid: `match-${m.user.handle}` },
                  avatar(m.user, { size: "sm" }),
                  h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, m.user.display_name), h("span", { class: "cell-note" }, `Hutong ID: ${m.user.handle}`)),
                  h("span", { class: "cell-value" }, m.is_friend ? "Friends" : "Add"),
                ),
              ),
            )
          : null,
      );
    },
  });

  let pickBtn = null;
  if (canPick) {
    pickBtn = h("button", { type: "button", class: "btn btn--ghost btn--block", testid: "match-pick" }, "Choose from my contacts");
    pickBtn.addEventListener("click", async () => {
      try {
        const picked = await navigator.contacts.select(["tel"], { multiple: true });
        const numbers = picked.flatMap((c) => c.tel || []);
        form.fields.numbers.input.value = numbers.join("\n");
      } catch {
        // cancelled
      }
    });
  }

  return screen(ctx, {
    title: "Mobile Contacts",
    back: "/contacts/add",
    testid: "screen-match",
    body: [pickBtn ? h("div", { class: "form-actions" }, pickBtn) : null, form.el, results],
  });
}
