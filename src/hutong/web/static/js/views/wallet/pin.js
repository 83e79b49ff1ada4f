// #/wallet/pin — set the payment PIN (the first time with the account password), change it with
// the current PIN, or reset a forgotten or locked one with the password (which lifts the lock).

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import * as wallet from "../../data/wallet.js";
import { navigate, safeNext } from "../../router.js";
import { toast } from "../../ui/feedback.js";
import { makeForm } from "../../ui/form.js";
import { screen, spinner } from "../../ui/layout.js";
import { lockMessage } from "./pinpad.js";

const SIX = (v) => (/^[0-9]{6}$/.test(v) ? null : "6 digits");

function pinField(name, label, placeholder) {
  return { name, label, type: "password", inputmode: "numeric", maxlength: 6, autocomplete: "off", required: true, placeholder, validate: SIX };
}

export function pinView(ctx) {
  const body = h("div", {}, spinner());
  const back = safeNext(ctx.query.back) || "/wallet";

  function paint(o, mode) {
    const first = !o.pin_set;
    const locked = o.pin_locked_until && Date.parse(o.pin_locked_until) > Date.now();
    const usePassword = first || locked || mode === "password";
    const fields = [
      usePassword
        ? { name: "password", label: "Password", type: "password", autocomplete: "current-password", required: true, maxlength: 128, placeholder: "your account password" }
        : pinField("current_pin", "Current PIN", "6 digits"),
      pinField("pin", first ? "PIN" : "New PIN", "6 digits"),
      { ...pinField("confirm", "Confirm", "the same 6 digits"), validate: (v, all) => SIX(v) || (v === all.pin ? null : "The PINs don't match") },
    ];
    const form = makeForm({
      testid: "pin-form",
      fields,
      submitLabel: first ? "Set PIN" : "Change PIN",
      submitTestid: "pin-save",
      onSubmit: async (v, { fields: f }) => {
        const req = { pin: v.pin };
        if (usePassword) req.password = v.password;
        else req.current_pin = v.current_pin;
        try {
          await api.put("/wallet/pin", req);
        } catch (err) {
          if (err.code === "bad-credentials" && f.password) {
            f.password.setError(err.detail);
            return;
          }
          if (err.code === "wrong-pin" && f.current_pin) {
            f.current_pin.setError(err.detail);
            return;
          }
          if (err.code === "pin-locked") {
            wallet.refresh();
            paint({ ...o, pin_locked_until: err.extra?.locked_until }, "password");
            return;
          }
          throw err;
        }
        await wallet.loadOverview().catch(() => {});
        toast(first ? "Payment PIN set" : "Payment PIN changed", { kind: "success" });
        navigate(back);
      },
    });
    const switcher =
      !first && !locked
        ? h(
            "p",
            { class: "cells-foot" },
            h(
              "button",
              { type: "button", class: "link-btn", testid: "pin-mode", onclick: () => paint(o, usePassword ? "pin" : "password") },
              usePassword ? "Remember your PIN? Change it with the current PIN" : "Forgot your PIN? Reset it with your password",
            ),
          )
        : null;
    mount(
      body,
      locked ? h("div", { class: "banner banner--error", testid: "pin-locked" }, lockMessage(o.pin_locked_until)) : null,
      form.el,
      switcher,
      h("p", { class: "cells-foot" }, "Your payment PIN confirms every transfer, payment and withdrawal. Not one digit repeated, nor a run like 123456."),
    );
  }

  wallet
    .loadOverview()
    .then((o) => ctx.alive && paint(o, "pin"))
    .catch((err) => ctx.alive && mount(body, h("div", { class: "banner banner--error", testid: "wallet-error" }, err.detail)));

  return screen(ctx, { title: "Payment PIN", back, testid: "screen-wallet-pin", body });
}
