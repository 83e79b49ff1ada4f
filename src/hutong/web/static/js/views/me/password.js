// #/me/password — change the password; every other device is signed out.

import { api } from "../../api.js";
import { h } from "../../dom.js";
import { navigate } from "../../router.js";
import { toast } from "../../ui/feedback.js";
import { makeForm } from "../../ui/form.js";
import { screen } from "../../ui/layout.js";

export function passwordView(ctx) {
  const form = makeForm({
    testid: "password-form",
    fields: [
      { name: "old_password", label: "Current", type: "password", autocomplete: "current-password", required: true, maxlength: 128, placeholder: "current password" },
      { name: "new_password", label: "New", type: "password", autocomplete: "new-password", required: true, maxlength: 128, placeholder: "at least 8 characters", validate: (v) => (v.length >= 8 ? null : "At least 8 characters") },
      { name: "confirm", label: "Confirm", type: "password", autocomplete: "new-password", required: true, maxlength: 128, placeholder: "new password again", validate: (v, all) => (v === all.new_password ? null : "The passwords don't match") },
    ],
    submitLabel: "Change password",
    submitTestid: "password-save",
    onSubmit: async (v, { fields }) => {
      try {
        await api.post("/me/password", { old_password: v.old_password, new_password: v.new_password });
      } catch (err) {
        // A wrong current password is a 401 "bad-credentials" problem without field errors.
        if (err.code === "bad-credentials") {
          fields.old_password.setError(err.detail);
          fields.old_password.input.focus();
          return;
        }
        throw err;
      }
      toast("Password changed. Other devices were logged out.", { kind: "success" });
      navigate("/me");
    },
  });
  return screen(ctx, {
    title: "Change password",
    back: "/me",
    testid: "screen-password",
    body: [form.el, h("p", { class: "cells-foot" }, "Changing your password logs out every other device.")],
  });
}
