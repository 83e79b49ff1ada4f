// #/contacts/u/:handle/remark — my remark (the name I see) and tags for a friend.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import * as contacts from "../../data/contacts.js";
import { navigate } from "../../router.js";
import { toast } from "../../ui/feedback.js";
import { makeForm } from "../../ui/form.js";
import { screen, spinner } from "../../ui/layout.js";
import { personPath } from "./person.js";
import { parseTags } from "./request.js";

export function remarkView(ctx) {
  const handle = ctx.params.handle;
  const back = personPath(handle);
  const body = h("div", {}, spinner());

  (async () => {
    let person;
    try {
      person = await api.get(`/contacts/users/${encodeURIComponent(handle)}`, { signal: ctx.signal });
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      return mount(body, h("div", { class: "banner banner--error", testid: "form-error" }, err.detail));
    }
    if (!ctx.alive) return;
    if (!person.relationship.is_friend) return navigate(back, { replace: true });
    const form = makeForm({
      testid: "remark-form",
      groups: [
        [{ name: "remark", label: "Remark", value: person.relationship.remark, placeholder: person.user.display_name, maxlength: 40 }],
        [{ name: "tags", label: "Tags", value: person.relationship.tags.join(", "), placeholder: "e.g. Family, Work", maxlength: 400, hint: "Separate tags with commas." }],
      ],
      submitLabel: "Done",
      submitTestid: "remark-save",
      onSubmit: async (v) => {
        const out = await api.patch(`/contacts/friends/${person.user.id}`, { remark: v.remark.trim(), tags: parseTags(v.tags) });
        contacts.putFriend(out);
        toast("Saved", { kind: "success" });
        navigate(back, { replace: true });
      },
    });
    mount(body, form.el);
  })();

  return screen(ctx, { title: "Remark and Tags", back, testid: "screen-remark", body });
}
