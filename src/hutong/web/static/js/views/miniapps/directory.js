// Discover → Mini Programs: recently used apps, search and categories over released apps,
// and each app's own page (developer, what it may ask for, its QR code).

import { api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import { group, groupTitle } from "../../ui/cells.js";
import { toast } from "../../ui/feedback.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { searchInput } from "../../ui/search.js";
import { debounce } from "../../util.js";
import { appIcon, CATEGORIES, openHash, PERMISSIONS } from "./common.js";

function appRow(app) {
  return h(
    "a",
    { class: "cell cell--link app-row", href: "#" + `/miniapps/apps/${app.appid}`, testid: "miniapp-row", dataset: { appid: app.appid } },
    appIcon(app),
    h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, app.name), h("span", { class: "cell-note" }, app.description || CATEGORIES[app.category] || "")),
    h("span", { class: "cell-arrow" }, icon("chevron", { size: 16 })),
  );
}

function recentTile(app) {
  return h(
    "a",
    { class: "app-tile", href: "#" + openHash(app.appid), testid: "miniapp-recent", dataset: { appid: app.appid } },
    appIcon(app, { size: "lg" }),
    h("span", { class: "app-tile-name" }, app.name),
  );
}

export function directoryView(ctx) {
  let q = ctx.query.q || "";
  let category = ctx.query.category || "";
  const recents = h("div", { class: "app-recents", testid: "miniapp-recents" });
  const results = h("div", { testid: "miniapp-directory" }, spinner());
  const chips = h(
    "div",
    { class: "chips", role: "tablist", "aria-label": "Categories" },
    [["", "All"], ...Object.entries(CATEGORIES)].map(([value, label]) =>
      h("button", { type: "button", class: ["chip", value === category && "is-active"], role: "tab", "aria-selected": String(value === category), testid: `miniapp-category-${value || "all"}`, onclick: () => pick(value) }, label),
    ),
  );

  function pick(value) {
    category = value;
    chips.querySelectorAll(".chip").forEach((c, i) => {
      const on = ([""].concat(Object.keys(CATEGORIES))[i] || "") === value;
      c.classList.toggle("is-active", on);
      c.setAttribute("aria-selected", String(on));
    });
    load();
  }

  let gen = 0;
  async function load() {
    const mine = ++gen;
    const params = new URLSearchParams();
    if (q.trim()) params.set("q", q.trim());
    if (category) params.set("category", category);
    try {
      const apps = await api.get(`/miniapps?${params}`, { signal: ctx.signal });
      if (!ctx.alive || mine !== gen) return;
      mount(
        results,
        apps.length
          ? group(...apps.map(appRow))
          : emptyState({ iconName: "miniapps", title: q || category ? "No mini programs match" : "No mini programs yet", text: q || category ? "Try another word or category." : "Released apps appear here.", testid: "miniapp-empty" }),
      );
    } catch (err) {
      if (err.name !== "AbortError" && ctx.alive) mount(results, h("div", { class: "banner banner--error" }, err.detail));
    }
  }

  (async () => {
    try {
      const apps = await api.get("/miniapps/recent", { signal: ctx.signal });
      if (!ctx.alive) return;
      mount(recents, apps.length ? [groupTitle("Recently used"), h("div", { class: "app-tiles" }, apps.slice(0, 8).map(recentTile))] : []);
    } catch {
      // recents are a convenience; the directory below still works
    }
  })();
  load();
  const search = searchInput({ placeholder: "Search mini programs", testid: "miniapp-search", value: q, onInput: debounce((v) => ((q = v), load()), 250), onEnter: (v) => ((q = v), load()) });
  return screen(ctx, {
    title: "Mini Programs",
    back: "/discover",
    testid: "screen-miniapps",
    body: [h("div", { class: "search-wrap" }, search), recents, chips, results],
  });
}

export function appPageView(ctx) {
  const appid = ctx.params.appid;
  const body = h("div", {}, spinner());
  (async () => {
    try {
      const app = await api.get(`/miniapps/apps/${encodeURIComponent(appid)}`, { signal: ctx.signal });
      if (!ctx.alive) return;
      const qrBox = h("div", { class: "app-qr", testid: "miniapp-qr" });
      async function showQr() {
        try {
          const qr = await api.get(`/miniapps/apps/${appid}/qr?path=`, { signal: ctx.signal }).catch(() => null);
          if (!qr) return toast("No QR code for this app.");
          qrBox.dataset.qrUrl = qr.url;
          mount(qrBox, h("img", { src: `/qr/${qr.token}.svg`, alt: `QR code of ${app.name}`, width: 200, height: 200 }), h("p", { class: "cell-note" }, "Scan with Hutong to open this mini program."));
        } catch (err) {
          toast(err.detail || "Could not make a QR code.", { kind: "error" });
        }
      }
      mount(
        body,
        h(
          "div",
          { class: "app-hero", testid: "miniapp-page" },
          appIcon(app, { size: "xl" }),
          h("h2", { class: "app-hero-name", testid: "miniapp-name" }, app.name),
          h("p", { class: "app-hero-text" }, app.description),
          h("a", { class: "btn btn--primary", href: "#" + openHash(app.appid), testid: "miniapp-open" }, "Open"),
        ),
        groupTitle("About"),
        group(
          h("div", { class: "cell" }, h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, "Developer")), h("span", { class: "cell-value", testid: "miniapp-developer" }, app.developer_name)),
          h("div", { class: "cell" }, h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, "Category")), h("span", { class: "cell-value" }, CATEGORIES[app.category] || app.category)),
          h("div", { class: "cell" }, h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, "Version")), h("span", { class: "cell-value" }, app.released_version || "")),
        ),
        groupTitle("It may ask to"),
        group(
          ...(app.permissions.length ? app.permissions : ["none"]).map((p) =>
            h("div", { class: "cell", testid: "miniapp-permission" }, h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, p === "none" ? "Nothing beyond showing its pages" : PERMISSIONS[p] || p))),
          ),
        ),
        group(h("button", { type: "button", class: "cell cell--link", testid: "miniapp-show-qr", onclick: showQr }, h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, "QR code")), h("span", { class: "cell-arrow" }, icon("qr", { size: 16 })))),
        qrBox,
      );
    } catch (err) {
      if (err.name !== "AbortError" && ctx.alive) mount(body, emptyState({ iconName: "miniapps", title: "Mini program not found", text: err.detail, testid: "miniapp-missing" }));
    }
  })();
  return screen(ctx, { title: "Mini Program", back: "/miniapps", testid: "screen-miniapp-page", body });
}
