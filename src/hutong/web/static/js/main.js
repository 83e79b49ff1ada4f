// Boot: resume the session from the cookie, turn a `/qr/<token>` deep link into its hash
// route, register the screens and start routing.

import { h, mount } from "./dom.js";
import { logo } from "./icons.js";
import { route, start } from "./router.js";
import * as session from "./session.js";
import { loginView } from "./views/auth/login.js";
import { registerView } from "./views/auth/register.js";
import { devicesView } from "./views/me/devices.js";
import { editProfileView } from "./views/me/edit.js";
import { meView } from "./views/me/index.js";
import { passwordView } from "./views/me/password.js";
import { qrView } from "./views/qr.js";
import { chatsView, contactsView, discoverView } from "./views/tabs.js";

route("/login", loginView, { guest: true });
route("/register", registerView, { guest: true });
route("/chats", chatsView, { auth: true });
route("/contacts", contactsView, { auth: true });
route("/discover", discoverView, { auth: true });
route("/me", meView, { auth: true });
route("/me/edit", editProfileView, { auth: true });
route("/me/devices", devicesView, { auth: true });
route("/me/password", passwordView, { auth: true });
route("/qr/:token", qrView, { auth: true });

const root = document.getElementById("app");

function show(el) {
  mount(root, el);
  root.scrollTop = 0;
  document.documentElement.dataset.screen = el.dataset.testid || "";
}

function splash() {
  mount(root, h("div", { class: "splash", testid: "splash" }, logo({ size: 72 })));
}

function offline(retry) {
  mount(
    root,
    h(
      "div",
      { class: "splash splash--offline", testid: "offline" },
      logo({ size: 56 }),
      h("p", {}, "Can't reach Hutong right now."),
      h("button", { type: "button", class: "btn btn--primary btn--small", onclick: retry }, "Try again"),
    ),
  );
}

async function boot() {
  // The server serves this page at /qr/<token> for scanned codes; route it like any screen.
  const deepLink = location.pathname.match(/^\/qr\/([^/]+)\/?$/);
  if (deepLink) history.replaceState(null, "", `/#/qr/${deepLink[1]}`);
  splash();
  try {
    await session.restore();
  } catch {
    offline(boot);
    return;
  }
  start(show);
}

boot();
