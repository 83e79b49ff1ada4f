// #/contacts/u/:handle/request — "Send friend request": a greeting, and the remark and tags I
// will use once they accept. `?source=` says how I found them; `token` is a scanned QR code.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import * as contacts from "../../data/contacts.js";
import { navigate } from "../../router.js";
import * as store from "../../store.js";
import { avatar } from "../../ui/avatar.js";
import { toast } from "../../ui/feedback.js";
import { makeForm } from "../../ui/form.js";
import { screen, spinner } from "../../ui/layout.js";
import { personPath } from "./person.js";

const SOURCES = new Set(["handle", "phone", "qr", "contacts"]);

export function parseTags(text) {
  return [...new Set(String(text || "").split(/[,，、]/).map((t) => t.trim()).filter(Boolean))];
}

export function requestView(ctx) {
  const handle = ctx.params.handle;
  const source = SOURCES.has(ctx.query.source) ? ctx.query.source : "handle";
  const body = h("div", {}, spinner());
  const back = personPath(handle, { source: ctx.query.source, token: ctx.query.token });

  (async () => {
    let person;
    try {
      person = await api.get(`/contacts/users/${encodeURIComponent(handle)}`, { signal: ctx.signal });
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      return mount(body, h("div", { class: "banner banner--error", testid: "form-error" }, err.detail));
    }
    if (!ctx.alive) return;
    const me = store.state.user;
    const form = makeForm({
      testid: "request-form",
      before: h("div", { class: "request-who" }, avatar(person.user, { size: "lg" }), h("div", {}, h("p", { class: "request-name" }, person.user.display_name), h("p", { class: "cell-note" }, person.user.handle))),
      groups: [
        [{ name: "greeting", label: "Greeting", value: `I'm ${me.display_name}`, maxlength: 100, multiline: true, rows: 2, counter: true, spellcheck: "true" }],
        [
          { name: "remark", label: "Remark", value: "", placeholder: person.user.display_name, maxlength: 40 },
          { name: "tags", label: "Tags", placeholder: "e.g. Family, Work", maxlength: 200, hint: "Separate tags with commas." },
        ],
      ],
      submitLabel: "Send",
      submitTestid: "request-send",
      onSubmit: async (v) => {
        const out = await api.post("/contacts/requests", {
          to_user_id: person.user.id,
          source,
          greeting: v.greeting.trim(),
          remark: v.remark.trim(),
          tags: parseTags(v.tags),
          qr_token: source === "qr" ? ctx.query.token || null : null,
        });
        if (out.status === "accepted") {
          toast(`You and ${person.user.display_name} are now friends`, { kind: "success" });
          contacts.loadFriends().catch(() => {});
        } else toast("Friend request sent", { kind: "success" });
        navigate(back, { replace: true });
      },
    });
    mount(body, form.el);
  })();

  return screen(ctx, { title: "Send Friend Request", back, testid: "screen-request", body });
}
