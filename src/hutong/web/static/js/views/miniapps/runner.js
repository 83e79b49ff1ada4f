// A running mini-program: full screen under the host's own title bar (title, ··· menu,
// close). The app lives in a sandboxed frame on the mini-program origin — scripts and forms
// only, never our origin — so it cannot read Hutong's cookies, storage or page.
//
// The channel (see the SDK, /sdk/hutong.js on the mini-program origin): the frame is opened
// with a fresh random token in its URL fragment. The SDK posts {hutong: "hello", token} with a
// MessagePort, addressed to our exact origin. We take it only when the message comes from that
// frame's window (`event.source`), from an opaque origin ("null", which only a sandboxed frame
// has), with the token we chose; every other message is ignored. From then on requests and
// answers travel over that private port, which dies with the app's document, so nothing we
// send can reach a page the frame navigated to.

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import * as wallet from "../../data/wallet.js";
import { icon } from "../../icons.js";
import { navigate } from "../../router.js";
import { actionSheet, toast } from "../../ui/feedback.js";
import { emptyState, spinner } from "../../ui/layout.js";
import { askPin } from "../wallet/pinpad.js";
import { chooseChat, consentSheet, scanSheet } from "./sheets.js";

const PAGE_RE = /^[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}(\?[A-Za-z0-9._~%&=+-]{0,300})?$/;
/** A page of the app with its query: no scheme, no fragment, no way up out of the bundle. */
const PAGE = { test: (path) => PAGE_RE.test(path) && !path.split("?")[0].split("/").includes("..") };

class AppError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}

function randomToken() {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, (c) => ({ "+": "-", "/": "_", "=": "" })[c]);
}

export function runnerView(ctx) {
  const appid = ctx.params.appid;
  const versionId = ctx.query.version_id || "";
  const title = h("h1", { class: "app-bar-title", testid: "miniapp-title" }, "");
  const stage = h("div", { class: "app-stage" }, spinner("Opening…"));
  let app = null;
  let launch = null;
  let base = "";
  let frame = null;
  let token = "";
  let port = null;
  let busy = false; // one host sheet at a time

  const close = () => (history.length > 1 ? history.back() : navigate("/miniapps"));

  async function menu() {
    const choice = await actionSheet({
      title: app?.name || "",
      actions: [
        { label: "Share to a chat", value: "share", testid: "app-menu-share" },
        { label: "Reload", value: "reload", testid: "app-menu-reload" },
        { label: "About this mini program", value: "about", testid: "app-menu-about" },
      ],
      testid: "app-menu",
    });
    if (choice === "reload") load(currentPath);
    else if (choice === "about") navigate(`/miniapps/apps/${appid}`);
    else if (choice === "share") shareCard({ title: app?.name || "", path: currentPath }).then(() => toast("Sent"), (e) => e.code !== "cancelled" && toast(e.message, { kind: "error" }));
  }

  const bar = h(
    "header",
    { class: "app-bar" },
    h("span", { class: "app-bar-side" }),
    title,
    h(
      "div",
      { class: "app-capsule" },
      h("button", { type: "button", class: "app-capsule-btn", testid: "miniapp-menu", "aria-label": "More", onclick: menu }, icon("more", { size: 20 })),
      h("span", { class: "app-capsule-sep" }),
      h("button", { type: "button", class: "app-capsule-btn", testid: "miniapp-close", "aria-label": "Close", onclick: close }, icon("close", { size: 18 })),
    ),
  );

  let currentPath = "";
  function load(path) {
    currentPath = path;
    token = randomToken();
    port?.close();
    port = null;
    frame = h("iframe", {
      class: "app-frame",
      src: `${base}${path}#hutong=${token}`,
      title: app?.name || "Mini program",
      sandbox: "allow-scripts allow-forms",
      referrerpolicy: "no-referrer",
      allow: "",
      testid: "miniapp-frame",
    });
    mount(stage, frame);
  }

  function onMessage(event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== "null") return;
    const d = event.data;
    if (!d || d.hutong !== "hello" || typeof d.token !== "string" || d.token !== token || !event.ports?.[0]) return;
    token = ""; // one hello per page load
    port = event.ports[0];
    port.onmessage = (e) => handle(e.data || {});
    port.postMessage({ type: "ready", launch: { appid, path: currentPath } });
  }
  addEventListener("message", onMessage);
  ctx.onCleanup(() => {
    removeEventListener("message", onMessage);
    port?.close();
  });

  async function handle({ id, method, params }) {
    const answer = (msg) => port?.postMessage({ id, ...msg });
    if (typeof id !== "number") return;
    const op = typeof method === "string" && Object.hasOwn(METHODS, method) ? METHODS[method] : null;
    if (!op) return answer({ ok: false, error: { code: "unsupported", message: `Unknown method ${String(method).slice(0, 40)}` } });
    const modal = op.modal;
    if (modal && busy) return answer({ ok: false, error: { code: "failed", message: "Another request is waiting for the user." } });
    if (modal) busy = true;
    try {
      answer({ ok: true, result: await op.run(params || {}) });
    } catch (err) {
      const code = err instanceof AppError ? err.code : "failed";
      answer({ ok: false, error: { code, message: err.message || err.detail || "failed" } });
    } finally {
      if (modal) busy = false;
    }
  }

  function needs(permission) {
    if (!launch.permissions.includes(permission)) throw new AppError("denied", `The app's manifest does not ask for ${permission}.`);
  }

  async function shareCard(params) {
    const cardTitle = String(params.title || app.name).slice(0, 60);
    const path = String(params.path || currentPath);
    if (!PAGE.test(path)) throw new AppError("failed", "Not a page of this app.");
    // The card's picture: a PNG, JPEG, GIF or WebP file of the app's bundle (the server copies it).
    const image = params.image_url ? String(params.image_url).replace(/^(\.\.\/|\.\/|\/)+/, "") : null;
    const chat = await chooseChat({ title: "Send to", card: cardTitle });
    if (!chat) throw new AppError("cancelled", "cancelled");
    try {
      await api.post(`/miniapps/apps/${appid}/share`, { chat_id: chat.id, title: cardTitle, path, image_url: image });
    } catch (err) {
      throw new AppError("failed", err.detail || "Could not share.");
    }
    return { chat_id: chat.id };
  }

  const METHODS = {
    login: { run: async () => ({ code: (await api.post(`/miniapps/apps/${appid}/login`)).code }) },
    getUserProfile: {
      modal: true,
      run: async () => {
        needs("userInfo");
        try {
          return await api.get(`/miniapps/apps/${appid}/profile`);
        } catch (err) {
          if (err.code !== "miniapp-consent-required") throw err;
        }
        if (!(await consentSheet(app))) throw new AppError("denied", "The user declined.");
        return await api.post(`/miniapps/apps/${appid}/profile`);
      },
    },
    requestPayment: {
      modal: true,
      run: async ({ prepay_id: prepay }) => {
        needs("payment");
        if (typeof prepay !== "string" || !/^[A-Za-z0-9_-]{1,40}$/.test(prepay)) throw new AppError("failed", "A payment needs the order's prepay_id.");
        const order = await api.get(`/miniapps/orders/${prepay}`);
        if (order.appid !== appid) throw new AppError("failed", "This order belongs to another mini program.");
        if (order.status === "paid") return { prepay_id: prepay, status: "paid" };
        let paid;
        try {
          paid = await askPin({
            title: `${order.payee} · ${order.description}`,
            amount: order.amount,
            detail: `Paying through ${order.app_name}`,
            submit: (pin) => api.post(`/miniapps/orders/${prepay}/pay`, { pin }),
          });
        } catch (err) {
          toast(err.detail || "The payment failed.", { kind: "error" });
          throw new AppError("failed", err.detail || "The payment failed.");
        }
        if (!paid) throw new AppError("cancelled", "The user closed the pay sheet.");
        wallet.refresh();
        return { prepay_id: prepay, status: paid.status };
      },
    },
    scanCode: {
      modal: true,
      run: async () => {
        needs("scanCode");
        const text = await scanSheet();
        if (!text) throw new AppError("cancelled", "cancelled");
        return { text };
      },
    },
    shareToChat: {
      modal: true,
      run: async (params) => {
        needs("share");
        const out = await shareCard(params);
        toast("Sent");
        return out;
      },
    },
    navigateTo: {
      run: async ({ path }) => {
        if (typeof path !== "string" || !PAGE.test(path)) throw new AppError("failed", "Not a page of this app.");
        setTimeout(() => load(path), 0); // answer first, then replace the page
        return {};
      },
    },
    setTitle: {
      run: async ({ title: text }) => {
        title.textContent = String(text || app.name).slice(0, 30);
        return {};
      },
    },
  };

  (async () => {
    try {
      const q = versionId ? `?version_id=${encodeURIComponent(versionId)}` : "";
      // The app's page (title, category) is not public before release: a preview gets a stand-in.
      [launch, app] = await Promise.all([
        api.post(`/miniapps/apps/${encodeURIComponent(appid)}/launch${q}`, undefined, { signal: ctx.signal }),
        api.get(`/miniapps/apps/${encodeURIComponent(appid)}`, { signal: ctx.signal }).catch(() => ({ appid, name: "Mini program", category: "other" })),
      ]);
      if (!ctx.alive) return;
      title.textContent = app.name;
      document.title = `${app.name} · Hutong`;
      const url = new URL(launch.url);
      const parts = url.pathname.split("/"); // "", "app", ticket, …entry
      base = `${url.origin}/${parts[1]}/${parts[2]}/`;
      const wanted = ctx.query.path && PAGE.test(ctx.query.path) ? ctx.query.path : parts.slice(3).join("/");
      if (launch.status !== "released") toast(`${launch.status === "trial" ? "Trial" : "Development"} version ${launch.version}`);
      load(wanted);
    } catch (err) {
      if (err.name !== "AbortError" && ctx.alive) mount(stage, emptyState({ iconName: "miniapps", title: "Can't open this mini program", text: err.detail, testid: "miniapp-error" }));
    }
  })();

  return h("div", { class: "screen screen--app", testid: "screen-miniapp" }, bar, stage);
}

