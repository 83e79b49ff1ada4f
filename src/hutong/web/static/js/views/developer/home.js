// #/developer — Me → Mini-program developer: register as a developer (a name; a merchant
// account opens for the apps' takings), then my apps and a form for a new one. Creating an app
// answers with its secret, which the app's screen shows once.

import { ApiError, api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import { navigate } from "../../router.js";
import { group, groupTitle } from "../../ui/cells.js";
import { toast } from "../../ui/feedback.js";
import { makeForm } from "../../ui/form.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { appIcon } from "../miniapps/common.js";
import { categoryLabel, categorySelect, controlRow, domainProblem, keepSecret, parseDomains } from "./common.js";

function registerForm(onDone) {
  return makeForm({
    testid: "developer-register-form",
    fields: [{ name: "name", label: "Developer name", maxlength: 40, required: true, placeholder: "Shown to users as the app's maker" }],
    submitLabel: "Register as a Developer",
    submitTestid: "developer-register",
    onSubmit: async (v) => {
      const dev = await api.post("/miniapps/developer", { name: v.name.trim() });
      toast(`Registered as ${dev.name}`, { kind: "success" });
      onDone();
    },
  });
}

function newAppForm() {
  const category = categorySelect("other");
  const form = makeForm({
    testid: "app-form",
    fields: [
      { name: "name", label: "Name", maxlength: 30, required: true, placeholder: "e.g. Dumpling House" },
      { name: "description", label: "Description", maxlength: 200, multiline: true, rows: 2, counter: true, placeholder: "What it does, in a sentence" },
      { name: "domains", label: "Server domains", placeholder: "api.example.com", hint: "Host names the app may call and webhooks may go to, separated by commas. No https://, no path." },
    ],
    submitLabel: "Create Mini-program",
    submitTestid: "app-create",
    onSubmit: async (v, { fields }) => {
      const domains = parseDomains(v.domains);
      let app;
      try {
        app = await api.post("/miniapps/console/apps", { name: v.name.trim(), description: v.description.trim(), category: category.value, domains });
      } catch (err) {
        const problem = domainProblem(err, domains);
        if (!problem) throw err;
        return fields.domains.setError(problem);
      }
      keepSecret(app.appid, app.secret);
      navigate(`/developer/apps/${app.appid}`);
    },
  });
  form.fields.description.el.after(controlRow("Category", category));
  return form;
}

function appCell(app) {
  return h(
    "a",
    { class: "cell cell--link app-row", href: `#/developer/apps/${app.appid}`, testid: `dev-app-${app.appid}` },
    appIcon(app),
    h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, app.name), h("span", { class: "cell-note" }, `${categoryLabel(app.category)} · ${app.appid}`)),
    h("span", { class: "cell-value" }, app.released_version ? `v${app.released_version}` : "Not released"),
    h("span", { class: "cell-arrow" }, icon("chevron", { size: 16 })),
  );
}

export function developerView(ctx) {
  const body = h("div", {}, spinner());

  async function load() {
    try {
      const dev = await api.get("/miniapps/developer", { signal: ctx.signal });
      const apps = await api.get("/miniapps/console/apps", { signal: ctx.signal });
      if (!ctx.alive) return;
      mount(
        body,
        h(
          "div",
          { class: "dev-card", testid: "developer-card" },
          h("p", { class: "dev-card-label" }, "Developer"),
          h("p", { class: "dev-card-name", testid: "developer-name" }, dev.name),
          h("p", { class: "dev-card-note" }, "Your apps' payments go to your merchant account. ", h("a", { class: "link-btn", href: `#/wallet/merchants/${dev.merchant_id}`, testid: "developer-merchant" }, "Open it")),
        ),
        groupTitle("My mini-programs"),
        apps.length
          ? h("div", { testid: "dev-apps" }, group(...apps.map(appCell)))
          : emptyState({ iconName: "miniapps", title: "No mini-programs yet", text: "Create one below, upload a bundle and submit it for review.", testid: "dev-apps-empty" }),
        groupTitle("New mini-program"),
        newAppForm().el,
      );
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      if (err instanceof ApiError && err.code === "miniapp-not-a-developer") {
        mount(
          body,
          h(
            "div",
            { class: "dev-intro", testid: "developer-intro" },
            h("p", { class: "dev-intro-title" }, "Build mini-programs for Hutong"),
            h("p", { class: "dev-intro-text" }, "Mini-programs are small web apps that open inside Hutong: people log in with one tap and pay with their wallet. Register as a developer to create apps, upload versions and submit them for review."),
          ),
          registerForm(load).el,
        );
        return;
      }
      mount(body, h("div", { class: "banner banner--error", testid: "dev-error", role: "alert" }, err.detail || "Something went wrong."));
    }
  }
  load();

  return screen(ctx, { title: "Mini-program Developer", back: "/me", testid: "screen-developer", body });
}
