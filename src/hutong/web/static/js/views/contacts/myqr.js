// #/contacts/qr — My QR code: a card with my avatar in the middle of the code that others scan
// to add me. Save it as an image, share its link, or reset it (the old code stops working).

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import { safeNext } from "../../router.js";
import * as store from "../../store.js";
import { avatar } from "../../ui/avatar.js";
import { actionSheet, confirmSheet, toast } from "../../ui/feedback.js";
import { screen, spinner } from "../../ui/layout.js";
import { copyText } from "../../util.js";

export function myQrView(ctx) {
  const body = h("div", { class: "myqr" }, spinner());
  let code = null;

  async function load(reset = false) {
    try {
      code = reset ? await api.post("/contacts/qr/reset") : await api.get("/contacts/qr", { signal: ctx.signal });
      if (!ctx.alive) return;
      paint();
      if (reset) toast("Your QR code was reset. The old one no longer works.", { kind: "success" });
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      mount(body, h("div", { class: "banner banner--error", testid: "form-error" }, err.detail));
    }
  }

  function paint() {
    const user = store.state.user;
    const src = code.card_png_url || code.png_url;
    const img = h("img", { class: "myqr-img", src, alt: `QR code to add ${user.display_name}`, width: 260, height: 260, testid: "my-qr-image", dataset: { qrUrl: code.url } });
    const save = h("a", { class: "btn btn--ghost btn--small", href: src, download: `hutong-${user.handle}.png`, testid: "my-qr-download" }, icon("download", { size: 16 }), "Save Image");
    const share = h("button", { type: "button", class: "btn btn--ghost btn--small", testid: "my-qr-share" }, icon("share", { size: 16 }), "Share");
    share.addEventListener("click", async () => {
      if (navigator.share) {
        try {
          await navigator.share({ title: "Add me on Hutong", text: `Add ${user.display_name} on Hutong`, url: code.url });
          return;
        } catch (err) {
          if (err.name === "AbortError") return;
        }
      }
      toast((await copyText(code.url)) ? "Link copied" : code.url);
    });
    mount(
      body,
      h(
        "div",
        { class: "myqr-card", testid: "my-qr-card" },
        h("div", { class: "myqr-who" }, avatar(user, { size: "lg" }), h("div", {}, h("p", { class: "myqr-name" }, user.display_name), user.region ? h("p", { class: "cell-note" }, user.region) : null)),
        h("div", { class: "myqr-frame" }, img),
        h("p", { class: "myqr-caption" }, "Scan the QR code to add me on Hutong"),
      ),
      h("div", { class: "myqr-actions" }, save, share),
    );
  }

  const more = h("button", { type: "button", class: "topbar-btn", "aria-label": "More", testid: "my-qr-more" }, icon("more"));
  more.addEventListener("click", async () => {
    const choice = await actionSheet({ actions: [{ label: "Reset QR Code", value: "reset", testid: "my-qr-reset" }], testid: "my-qr-actions" });
    if (choice !== "reset") return;
    const ok = await confirmSheet({ title: "Reset your QR code?", message: "Your current code (and any copy people saved) will stop working.", confirmLabel: "Reset" });
    if (ok) load(true);
  });

  ctx.on("event:contacts.qr_reset", () => load());
  load();

  return screen(ctx, { title: "My QR Code", back: safeNext(ctx.query.back) || "/contacts/add", actions: [more], testid: "screen-my-qr", cls: "screen--qr", body });
}
