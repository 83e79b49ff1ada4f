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
import { privacyView } from "./views/me/privacy.js";
import { conversationView } from "./views/chats/conversation.js";
import { announcementView, chatInfoView, groupNameView, groupQrView, membersView } from "./views/chats/info.js";
import { chatListView } from "./views/chats/list.js";
import { inviteView, newGroupView } from "./views/chats/picker.js";
import { chatSearchView } from "./views/chats/search.js";
import { addView } from "./views/contacts/add.js";
import { importView } from "./views/contacts/import.js";
import { contactsView } from "./views/contacts/index.js";
import { blockedView, groupsView, tagsView, tagView } from "./views/contacts/lists.js";
import { matchView } from "./views/contacts/match.js";
import { myQrView } from "./views/contacts/myqr.js";
import { personView } from "./views/contacts/person.js";
import { remarkView } from "./views/contacts/remark.js";
import { requestView } from "./views/contacts/request.js";
import { requestsView } from "./views/contacts/requests.js";
import { scanView } from "./views/contacts/scan.js";
import { qrView } from "./views/qr.js";
import { discoverView } from "./views/tabs.js";
import "./views/wallet/routes.js";
import "./views/feed/routes.js";
import "./views/admin/routes.js";
import "./views/developer/routes.js";
import "./views/miniapps/routes.js";

route("/login", loginView, { guest: true });
route("/register", registerView, { guest: true });
route("/chats", chatListView, { auth: true });
route("/chats/search", chatSearchView, { auth: true });
route("/chats/new", newGroupView, { auth: true });
route("/chats/:id", conversationView, { auth: true });
route("/chats/:id/info", chatInfoView, { auth: true });
route("/chats/:id/members", membersView, { auth: true });
route("/chats/:id/invite", inviteView, { auth: true });
route("/chats/:id/name", groupNameView, { auth: true });
route("/chats/:id/announcement", announcementView, { auth: true });
route("/chats/:id/qr", groupQrView, { auth: true });
route("/contacts", contactsView, { auth: true });
route("/contacts/new", requestsView, { auth: true });
route("/contacts/add", addView, { auth: true });
route("/contacts/qr", myQrView, { auth: true });
route("/contacts/scan", scanView, { auth: true });
route("/contacts/import", importView, { auth: true });
route("/contacts/match", matchView, { auth: true });
route("/contacts/groups", groupsView, { auth: true });
route("/contacts/tags", tagsView, { auth: true });
route("/contacts/tags/:tag", tagView, { auth: true });
route("/contacts/blocked", blockedView, { auth: true });
route("/contacts/u/:handle", personView, { auth: true });
route("/contacts/u/:handle/remark", remarkView, { auth: true });
route("/contacts/u/:handle/request", requestView, { auth: true });
route("/discover", discoverView, { auth: true });
route("/me", meView, { auth: true });
route("/me/edit", editProfileView, { auth: true });
route("/me/devices", devicesView, { auth: true });
route("/me/password", passwordView, { auth: true });
route("/me/privacy", privacyView, { auth: true });
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
