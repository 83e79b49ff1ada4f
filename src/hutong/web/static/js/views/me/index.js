// #/me — the profile card and the account menu.

import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import * as session from "../../session.js";
import * as store from "../../store.js";
import { avatar, verifiedBadge } from "../../ui/avatar.js";
import { cell, group } from "../../ui/cells.js";
import { confirmSheet } from "../../ui/feedback.js";
import { screen } from "../../ui/layout.js";

function profileCard(user) {
  return h(
    "a",
    { class: "profile-card", href: "#/me/edit", testid: "me-card" },
    avatar(user, { size: "xl", testid: "me-avatar" }),
    h(
      "div",
      { class: "profile-main" },
      h("p", { class: "profile-name" }, h("span", { testid: "me-name" }, user.display_name), verifiedBadge(user, { testid: "me-verified" })),
      h("p", { class: "profile-handle" }, "Hutong ID: ", h("span", { testid: "me-handle" }, user.handle)),
      user.bio ? h("p", { class: "profile-bio", testid: "me-bio" }, user.bio) : null,
      user.region ? h("p", { class: "profile-region", testid: "me-region" }, user.region) : null,
    ),
    h("span", { class: "profile-qr", "aria-hidden": "true" }, icon("qr", { size: 18 }), icon("chevron", { size: 16 })),
  );
}

export function meView(ctx) {
  const card = h("div", { class: "profile-wrap" });
  const paint = () => store.state.user && mount(card, profileCard(store.state.user));
  paint();
  ctx.on("user", paint);

  async function logOut() {
    const ok = await confirmSheet({ title: "Log out of Hutong?", message: "Your chats stay on the server. Log in again any time.", confirmLabel: "Log Out", danger: true });
    if (ok) await session.logout();
  }

  return screen(ctx, {
    title: "Me",
    tab: "me",
    testid: "screen-me",
    cls: "screen--me",
    body: [
      card,
      group(
        cell({ icon: "edit", tone: "green", title: "Edit profile", href: "#/me/edit", testid: "me-edit" }),
        cell({ icon: "qr", tone: "blue", title: "My QR Code", href: "#/contacts/qr?back=%2Fme", testid: "me-qr" }),
      ),
      group(cell({ icon: "wallet", tone: "green", title: "Wallet", note: "Balance, pay and collect", href: "#/wallet", testid: "me-wallet" })),
      group(cell({ icon: "miniapps", tone: "purple", title: "Mini-program developer", note: "Your apps, versions and review", href: "#/developer", testid: "me-developer" })),
      ["moderator", "admin"].includes(store.state.user?.role)
        ? group(cell({ icon: "flag", tone: "orange", title: "Moderation", note: "Reports, cases and terms", href: "#/admin", testid: "me-moderation" }))
        : null,
      group(
        cell({ icon: "devices", tone: "blue", title: "Devices", note: "Where you're logged in", href: "#/me/devices", testid: "me-devices" }),
        cell({ icon: "lock", tone: "orange", title: "Change password", href: "#/me/password", testid: "me-password" }),
        cell({ icon: "shield", tone: "green", title: "Privacy", note: "Who can find and add you", href: "#/me/privacy", testid: "me-privacy" }),
        cell({ icon: "miniapps", tone: "purple", title: "Mini Programs", note: "Apps allowed to read your profile", href: "#/me/miniapps", testid: "me-miniapps" }),
        cell({ icon: "alert", tone: "orange", title: "Notices", note: "Moderation decisions and appeals", href: "#/notices", testid: "me-notices" }),
      ),
      h("div", { class: "cells" }, h("button", { type: "button", class: "cell cell--danger", testid: "logout", onclick: logOut }, h("span", { class: "cell-title" }, "Log Out"))),
    ],
  });
}
