// #/developer/apps/:appid — one of my mini-programs: its appid and (once, right after creating
// or resetting it) its secret, its figures, its versions through the lifecycle (upload a zip,
// trial, submit for review, release, roll back; a rejection's reason), testers, and settings.

import { ApiError, api } from "../../api.js";
import { h, mount } from "../../dom.js";
import { icon } from "../../icons.js";
import * as users from "../../data/users.js";
import * as wallet from "../../data/wallet.js";
import { ago, fileSize } from "../../format.js";
import { cell, group, groupTitle } from "../../ui/cells.js";
import { actionSheet, confirmSheet, toast } from "../../ui/feedback.js";
import { banner, makeForm } from "../../ui/form.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { PICTURE_TYPES, pictureProblem } from "../../ui/picture.js";
import { copyText } from "../../util.js";
import { appIcon } from "../miniapps/common.js";
import { categoryLabel, categorySelect, controlRow, domainProblem, parseDomains, previewHref, statusBadge, takeSecret, uploadProblem } from "./common.js";

async function copy(text, el) {
  if (await copyText(text)) return toast("Copied", { kind: "success" });
  // No clipboard (an insecure origin): select it so a long-press or Ctrl+C copies it.
  const range = document.createRange();
  range.selectNodeContents(el);
  getSelection().removeAllRanges();
  getSelection().addRange(range);
  toast("Selected: copy it with your keyboard or menu");
}

function secretCard(secret, onDismiss) {
  const value = h("code", { class: "dev-secret-value", testid: "app-secret" }, secret);
  return h(
    "section",
    { class: "dev-secret", testid: "secret-card", role: "alert" },
    h("p", { class: "dev-secret-title" }, icon("lock", { size: 18 }), "App secret"),
    h(
      "p",
      { class: "dev-secret-warning", testid: "secret-warning" },
      "Copy it now: this is the only time Hutong shows it. Only a hash is stored, so it can never be shown again. Keep it on your server, never in the app's files. If you lose it, reset it (the old one stops working at once).",
    ),
    value,
    h(
      "div",
      { class: "dev-row-actions" },
      h("button", { type: "button", class: "btn btn--primary btn--small", testid: "secret-copy", onclick: () => copy(secret, value) }, icon("copy", { size: 16 }), "Copy"),
      h("button", { type: "button", class: "btn btn--ghost btn--small", testid: "secret-done", onclick: onDismiss }, "I've saved it"),
    ),
  );
}

/**
 * The app's icon with "Change" (a file picked is checked here, then uploaded at once by
 * `onPick`) and "Remove". Refusals, here or from the server, show under it.
 */
function iconPicker(app, { onPick, onRemove }) {
  const error = h("p", { class: "dev-icon-error", testid: "icon-error", role: "alert", hidden: true });
  const fail = (text) => {
    error.textContent = text;
    error.hidden = false;
  };
  const input = h("input", { type: "file", accept: PICTURE_TYPES.join(","), class: "sr-only", id: "app-icon-file", testid: "icon-input" });
  input.addEventListener("change", async () => {
    const file = input.files?.[0];
    input.value = "";
    error.hidden = true;
    if (!file) return;
    const problem = pictureProblem(file);
    if (problem) return fail(problem);
    try {
      await onPick(file);
    } catch (err) {
      fail(err.fields?.file || err.detail || "The icon could not be saved.");
    }
  });
  return h(
    "div",
    { class: "dev-icon" },
    appIcon(app, { size: "xl", testid: "app-icon" }),
    h(
      "div",
      { class: "dev-icon-actions" },
      h("label", { class: "link-btn", for: "app-icon-file", testid: "icon-pick" }, app.icon_url ? "Change icon" : "Add icon"),
      app.icon_url ? h("button", { type: "button", class: "link-btn", testid: "icon-remove", onclick: onRemove }, "Remove") : null,
      input,
    ),
    error,
  );
}

function headCard(app, iconActions) {
  const appid = h("code", { class: "dev-appid", testid: "app-appid" }, app.appid);
  return h(
    "div",
    { class: "dev-card", testid: "app-card", dataset: { appid: app.appid } },
    iconPicker(app, iconActions),
    h("p", { class: "dev-card-label" }, categoryLabel(app.category)),
    h("p", { class: "dev-card-name", testid: "app-name" }, app.name),
    app.description ? h("p", { class: "dev-card-note", testid: "app-description" }, app.description) : null,
    h("p", { class: "dev-card-id" }, "AppID ", appid, h("button", { type: "button", class: "link-btn", testid: "appid-copy", onclick: () => copy(app.appid, appid) }, "Copy")),
    h(
      "p",
      { class: "dev-card-note", testid: "app-released" },
      app.released_version ? `Released: v${app.released_version}${app.rollout_percent < 100 ? ` to ${app.rollout_percent}% of users` : ""}` : "Not released yet",
    ),
  );
}

function statsGroup(s) {
  return group(
    cell({ icon: "contacts", tone: "blue", title: "Users", value: h("span", { testid: "stat-users" }, String(s.users)) }),
    cell({ icon: "wallet", tone: "green", title: "Paid orders", note: wallet.money(s.amount_paid), value: h("span", { testid: "stat-orders" }, String(s.orders_paid)) }),
    cell({ icon: "refresh", tone: "orange", title: "Refunds", note: wallet.money(s.amount_refunded), value: h("span", { testid: "stat-refunds" }, String(s.refunds)) }),
    cell({
      icon: "link",
      tone: s.webhooks_failed ? "orange" : "grey",
      title: "Webhooks",
      note: "Pending are being retried; failed were given up on",
      value: h("span", { testid: "stat-webhooks" }, `${s.webhooks_pending} pending · ${s.webhooks_failed} failed`),
    }),
  );
}

function versionMeta(v) {
  const m = v.manifest || {};
  const perms = m.permissions?.length ? m.permissions.join(", ") : "none";
  return `${v.file_count} file${v.file_count === 1 ? "" : "s"} · ${fileSize(v.size)} (${fileSize(v.unpacked_size)} unpacked) · permissions: ${perms}`;
}

export function appView(ctx) {
  const appid = ctx.params.appid;
  const base = `/miniapps/console/apps/${encodeURIComponent(appid)}`;
  const opts = { signal: ctx.signal };
  const secretBox = h("div", { testid: "secret-box" });
  const head = h("div", {}, spinner());
  const statsBox = h("div", { testid: "app-stats" });
  const list = h("div", { class: "dev-versions", testid: "versions" });
  const testersBox = h("div", { testid: "testers" });
  const settingsBox = h("div");
  let app = null;

  function showSecret(secret) {
    if (!secret) return mount(secretBox);
    mount(secretBox, secretCard(secret, () => mount(secretBox)));
    secretBox.scrollIntoView?.({ block: "nearest" });
  }
  showSecret(takeSecret(appid));

  async function act(label, fn) {
    try {
      await fn();
      return true;
    } catch (err) {
      if (err.name !== "AbortError") toast(err.detail || `${label} failed`, { kind: "error" });
      return false;
    }
  }

  // -- the app and its figures ------------------------------------------------------------

  function paintApp(a) {
    app = a;
    mount(head, headCard(a, { onPick: setIcon, onRemove: removeIcon }));
    paintTesters();
    if (!settingsBox.firstChild) mount(settingsBox, settingsForm(a).el);
  }

  // The icon is saved as soon as it is picked (it is not part of the settings form).
  async function setIcon(file) {
    const body = new FormData();
    body.append("file", file);
    paintApp(await api.upload(`${base}/icon`, body));
    toast("Icon saved", { kind: "success" });
  }

  async function removeIcon() {
    if (await act("Remove icon", async () => paintApp(await api.del(`${base}/icon`)))) toast("Icon removed");
  }

  async function loadApp() {
    try {
      paintApp(await api.get(base, opts));
    } catch (err) {
      if (err.name === "AbortError" || !ctx.alive) return;
      mount(head, emptyState({ iconName: "miniapps", title: "Can't open this mini-program", text: err.detail, testid: "app-missing" }));
    }
  }

  async function loadStats() {
    try {
      const s = await api.get(`${base}/stats`, opts);
      if (ctx.alive) mount(statsBox, statsGroup(s));
    } catch (err) {
      if (err.name !== "AbortError" && ctx.alive) mount(statsBox, h("p", { class: "cells-foot" }, err.detail));
    }
  }

  // -- versions -----------------------------------------------------------------------------

  async function move(v, step, done) {
    const ok = await act(step, async () => {
      const out = await api.post(`${base}/versions/${v.id}/${step}`);
      toast(done(out), { kind: "success" });
    });
    if (ok) refresh();
  }

  // Gradual release: a first release goes to everyone; a later one may go to a share of users
  // first (each user's share is stable), widened with "Release to Everyone".
  async function release(v) {
    let percent = 100;
    if (app?.released_version) {
      percent = await actionSheet({
        title: `Release v${v.version}`,
        message: "Users not yet included keep the current release.",
        actions: [
          { label: "To everyone", value: 100, testid: "release-100" },
          { label: "To 50% of users", value: 50, testid: "release-50" },
          { label: "To 10% of users", value: 10, testid: "release-10" },
        ],
        testid: "release-sheet",
      });
      if (!percent) return;
    }
    const ok = await act("Release", async () => {
      await api.post(`${base}/versions/${v.id}/release?percent=${percent}`);
      toast(percent === 100 ? `v${v.version} is live` : `v${v.version} is live for ${percent}% of users`, { kind: "success" });
    });
    if (ok) refresh();
  }

  async function widen() {
    if (await act("Release", async () => (await api.post(`${base}/rollout`, { percent: 100 }), toast("Released to everyone", { kind: "success" })))) refresh();
  }

  async function rollback() {
    const sure = await confirmSheet({ title: "Roll back?", message: "Everyone goes back to the version released before this one.", confirmLabel: "Roll Back", danger: true });
    if (!sure) return;
    if (await act("Rollback", async () => toast(`Back to v${(await api.post(`${base}/rollback`)).version}`, { kind: "success" }))) refresh();
  }

  function actionsFor(v, versions) {
    const btn = (label, testid, onclick, cls = "btn--ghost") => h("button", { type: "button", class: ["btn", "btn--small", cls], testid, onclick }, label);
    const preview = h("a", { class: "btn btn--ghost btn--small", href: previewHref(appid, v.id), testid: "version-preview" }, "Preview");
    switch (v.status) {
      case "develop":
        return [preview, btn("To Trial", "version-trial", () => move(v, "trial", () => `v${v.version} is open to testers`)), btn("Submit for Review", "version-submit", () => move(v, "submit", () => `v${v.version} submitted for review`), "btn--primary")];
      case "trial":
        return [preview, btn("Submit for Review", "version-submit", () => move(v, "submit", () => `v${v.version} submitted for review`), "btn--primary")];
      case "submitted":
        return [preview];
      case "rejected":
        return [preview, btn("Submit Again", "version-submit", () => move(v, "submit", () => `v${v.version} submitted for review`), "btn--primary")];
      case "approved":
        return [preview, btn("Release", "version-release", () => release(v), "btn--primary")];
      case "released":
        return [
          app && app.rollout_percent < 100 ? btn("Release to Everyone", "version-widen", widen, "btn--primary") : null,
          versions.some((o) => o.status === "superseded") ? btn("Roll Back", "version-rollback", rollback, "btn--danger-ghost") : null,
        ].filter(Boolean);
      default:
        return [];
    }
  }

  function versionRow(v, versions) {
    const actions = actionsFor(v, versions);
    return h(
      "div",
      { class: "dev-version", testid: `version-${v.id}`, dataset: { versionId: String(v.id), version: v.version, status: v.status } },
      h("div", { class: "dev-version-head" }, h("span", { class: "dev-version-name", testid: "version-name" }, `v${v.version}`), statusBadge(v.status), h("span", { class: "dev-time", title: new Date(v.created_at).toLocaleString() }, ago(v.created_at))),
      v.note ? h("p", { class: "dev-version-note", testid: "version-note" }, v.note) : null,
      h("p", { class: "dev-version-meta" }, versionMeta(v)),
      v.status === "rejected" && v.reject_reason ? h("p", { class: "banner banner--error dev-reject", testid: "version-reject-reason" }, `Rejected by a moderator: ${v.reject_reason}`) : null,
      v.status === "submitted" ? h("p", { class: "dev-version-meta" }, `Submitted ${ago(v.submitted_at)}; a moderator will review it.`) : null,
      actions.length ? h("div", { class: "dev-row-actions" }, actions) : null,
    );
  }

  async function loadVersions() {
    if (!list.firstChild) mount(list, spinner());
    try {
      const versions = await api.get(`${base}/versions`, opts);
      if (!ctx.alive) return;
      list.dataset.count = String(versions.length);
      const newest = [...versions].reverse();
      mount(list, versions.length ? newest.map((v) => versionRow(v, versions)) : h("p", { class: "cells-foot", testid: "versions-empty" }, "No versions yet. Upload a zip of the app's files with a manifest.json."));
    } catch (err) {
      if (err.name !== "AbortError" && ctx.alive) mount(list, h("div", { class: "banner banner--error" }, err.detail));
    }
  }

  function uploadForm() {
    const file = h("input", { type: "file", accept: ".zip,application/zip", class: "dev-file", testid: "input-bundle" });
    const problem = banner({ testid: "upload-error" });
    const form = makeForm({
      testid: "upload-form",
      before: problem.el,
      fields: [
        { name: "version", label: "Version", placeholder: "1.0.0", maxlength: 19, required: true, validate: (v) => (/^\d{1,4}(\.\d{1,4}){0,3}$/.test(v.trim()) ? null : "Numbers and dots, like 1.0.2") },
        { name: "note", label: "Note", maxlength: 500, placeholder: "What changed (for the reviewer)" },
      ],
      submitLabel: "Upload",
      submitTestid: "upload-submit",
      onSubmit: async (v, { fields }) => {
        problem.hide();
        delete problem.el.dataset.reason;
        const chosen = file.files?.[0];
        if (!chosen) {
          problem.show("Choose a zip file to upload.");
          return;
        }
        const qs = new URLSearchParams({ version: v.version.trim() });
        if (v.note.trim()) qs.set("note", v.note.trim());
        try {
          const out = await api.postForm(`${base}/versions?${qs}`, chosen);
          toast(`v${out.version} uploaded`, { kind: "success" });
          form.el.reset();
          loadVersions();
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          if (err.fields.version) return fields.version.setError(err.detail);
          const { reason, text } = uploadProblem(err);
          problem.el.dataset.reason = reason;
          problem.show(text);
        }
      },
    });
    form.fields.version.el.before(controlRow("Bundle", file, "A zip of HTML, JS, CSS and images with manifest.json naming the pages and permissions."));
    return form;
  }

  // -- testers ------------------------------------------------------------------------------

  function paintTesters() {
    const ids = app?.testers || [];
    mount(
      testersBox,
      ids.length
        ? h(
            "div",
            { class: "cells" },
            ids.map((id) =>
              h(
                "div",
                { class: "cell", testid: `tester-${id}` },
                h("span", { class: "cell-body" }, h("span", { class: "cell-title" }, users.nameOf(id, { fallback: `User #${id}` })), h("span", { class: "cell-note" }, `ID ${id}`)),
                h("button", { type: "button", class: "btn btn--danger-ghost btn--small", testid: "tester-remove", onclick: () => removeTester(id) }, "Remove"),
              ),
            ),
          )
        : h("p", { class: "cells-foot" }, "Testers can open versions in trial before anyone else."),
    );
  }

  async function removeTester(id) {
    await act("Removing", async () => paintApp(await api.del(`${base}/testers/${id}`)));
  }

  const testerForm = makeForm({
    testid: "tester-form",
    fields: [{ name: "who", label: "Tester", placeholder: "Hutong ID or user number", maxlength: 20, required: true }],
    submitLabel: "Add Tester",
    submitTestid: "tester-add",
    onSubmit: async (v, { fields }) => {
      const who = v.who.trim().replace(/^@/, "");
      let id = /^\d+$/.test(who) ? Number(who) : null;
      if (id === null) {
        try {
          id = users.remember(await api.get(`/users/${encodeURIComponent(who.toLowerCase())}`, opts)).id;
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) return fields.who.setError("No one has that Hutong ID");
          throw err;
        }
      }
      try {
        paintApp(await api.put(`${base}/testers/${id}`));
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return fields.who.setError("No such user");
        throw err;
      }
      testerForm.el.reset();
      toast("Tester added", { kind: "success" });
    },
  });

  // -- settings and the secret --------------------------------------------------------------

  function settingsForm(a) {
    const category = categorySelect(a.category, "settings-category");
    const form = makeForm({
      testid: "settings-form",
      fields: [
        { name: "description", label: "Description", value: a.description, maxlength: 200, multiline: true, rows: 2, counter: true },
        { name: "domains", label: "Server domains", value: a.domains.join(", "), hint: "Host names the app may call and webhooks may go to, separated by commas." },
      ],
      submitLabel: "Save",
      submitTestid: "settings-save",
      onSubmit: async (v, { fields }) => {
        const domains = parseDomains(v.domains);
        try {
          paintApp(await api.patch(base, { description: v.description.trim(), category: category.value, domains }));
        } catch (err) {
          const problem = domainProblem(err, domains);
          if (!problem) throw err;
          return fields.domains.setError(problem);
        }
        toast("Saved", { kind: "success" });
      },
    });
    form.fields.description.el.after(controlRow("Category", category));
    return form;
  }

  async function resetSecret() {
    const sure = await confirmSheet({ title: "Reset the app secret?", message: "The current secret stops working at once: your server must switch to the new one.", confirmLabel: "Reset", danger: true });
    if (!sure) return;
    await act("Reset", async () => showSecret((await api.post(`${base}/secret`)).secret));
  }

  async function refresh() {
    loadStats();
    await loadApp(); // the versions' actions depend on the app (its gradual release)
    loadVersions();
  }
  refresh();

  return screen(ctx, {
    title: "Mini-program",
    back: "/developer",
    testid: "screen-developer-app",
    actions: [h("button", { type: "button", class: "topbar-btn", testid: "app-refresh", "aria-label": "Refresh", onclick: refresh }, icon("refresh"))],
    body: [
      secretBox,
      head,
      groupTitle("Figures"),
      statsBox,
      groupTitle("Versions"),
      list,
      groupTitle("Upload a version"),
      uploadForm().el,
      groupTitle("Testers"),
      testersBox,
      testerForm.el,
      groupTitle("Settings"),
      settingsBox,
      group(cell({ icon: "lock", tone: "orange", title: "Reset app secret", note: "Get a new secret; the old one stops working", onClick: resetSecret, testid: "secret-reset" })),
    ],
  });
}
