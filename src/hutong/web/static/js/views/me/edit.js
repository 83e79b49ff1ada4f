// #/me/edit — name, bio, region, phone, email, and a new avatar with a preview.

import { api } from "../../api.js";
import { h } from "../../dom.js";
import { icon } from "../../icons.js";
import { navigate } from "../../router.js";
import * as store from "../../store.js";
import { avatar } from "../../ui/avatar.js";
import { toast } from "../../ui/feedback.js";
import { makeForm } from "../../ui/form.js";
import { screen } from "../../ui/layout.js";
import { PICTURE_TYPES, pictureProblem } from "../../ui/picture.js";

const PROFILE_FIELDS = ["display_name", "bio", "region", "phone", "email"];

export function editProfileView(ctx) {
  const user = store.state.user;
  let file = null;
  let previewUrl = null;
  ctx.onCleanup(() => previewUrl && URL.revokeObjectURL(previewUrl));

  const preview = h("div", { class: "avatar-preview", testid: "avatar-preview" }, avatar(user, { size: "xxl" }));
  const fileInput = h("input", { type: "file", accept: PICTURE_TYPES.join(","), class: "sr-only", id: "avatar-file", testid: "avatar-input" });
  const avatarError = h("p", { class: "field-error", testid: "error-file", hidden: true });
  fileInput.addEventListener("change", () => {
    const chosen = fileInput.files?.[0];
    avatarError.hidden = true;
    if (!chosen) return;
    const problem = pictureProblem(chosen);
    if (problem) {
      avatarError.textContent = problem;
      avatarError.hidden = false;
      return;
    }
    file = chosen;
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(chosen);
    preview.replaceChildren(avatar(user, { size: "xxl", src: previewUrl, testid: "avatar-preview-img" }));
    preview.classList.add("is-new");
  });
  const avatarBlock = h(
    "div",
    { class: "avatar-edit" },
    preview,
    h("label", { class: "btn btn--ghost btn--small", for: "avatar-file", testid: "avatar-pick" }, icon("camera", { size: 18 }), "Change photo"),
    fileInput,
    avatarError,
  );

  const form = makeForm({
    testid: "profile-form",
    before: avatarBlock,
    groups: [
      [
        { name: "display_name", label: "Name", value: user.display_name, maxlength: 40, required: true, autocomplete: "nickname" },
        { name: "bio", label: "What's up", value: user.bio, maxlength: 200, multiline: true, counter: true, placeholder: "A line about you", spellcheck: "true" },
        { name: "region", label: "Region", value: user.region, maxlength: 60, placeholder: "e.g. Beijing", autocapitalize: "words" },
      ],
      [
        { name: "phone", label: "Phone", type: "tel", value: user.phone || "", inputmode: "tel", autocomplete: "tel", placeholder: "+86 138 0013 8000", hint: "With country code, e.g. +8613800138000. Leave empty to remove." },
        { name: "email", label: "Email", type: "email", value: user.email || "", inputmode: "email", autocomplete: "email", placeholder: "name@example.com" },
      ],
    ],
    submitLabel: "Save",
    submitTestid: "profile-save",
    onSubmit: async (values) => {
      let me = null;
      if (file) {
        const body = new FormData();
        body.append("file", file);
        try {
          me = await api.upload("/me/avatar", body);
        } catch (err) {
          avatarError.textContent = err.fields?.file || err.detail;
          avatarError.hidden = false;
          throw err;
        }
        file = null;
        store.setUser(me);
      }
      const changes = {};
      for (const name of PROFILE_FIELDS) {
        const now = values[name].trim();
        const was = (user[name] ?? "").trim();
        if (now !== was) changes[name] = now;
      }
      if (Object.keys(changes).length) me = await api.patch("/me", changes);
      if (me) {
        store.setUser(me);
        toast("Profile saved", { kind: "success" });
      }
      navigate("/me");
    },
  });

  return screen(ctx, { title: "Edit profile", back: "/me", testid: "screen-edit-profile", body: form.el });
}
