// #/transparency — the public page: reports, decisions and appeals counted per month by
// action and rule. Counts only; nobody is named.

import { h, mount } from "../../dom.js";
import * as moderation from "../../data/moderation.js";
import { safeNext } from "../../router.js";
import { emptyState, screen, spinner } from "../../ui/layout.js";
import { failed } from "./common.js";

const LABELS = {
  report: "Reports",
  "case.approve": "Approved",
  "case.remove": "Removed",
  "case.warn": "Warnings",
  "case.mute": "Mutes",
  "case.ban": "Bans",
  appeal: "Appeals",
  "appeal.granted": "Appeals granted",
  "appeal.denied": "Appeals denied",
};

function monthTable(m) {
  return h(
    "section",
    { class: "mod-card", testid: `month-${m.month}` },
    h("h2", { class: "mod-card-title" }, m.month),
    h(
      "table",
      { class: "mod-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "What"), h("th", {}, "Rule"), h("th", { class: "num" }, "Count"))),
      h(
        "tbody",
        {},
        m.rows.map((r) => h("tr", {}, h("td", {}, LABELS[r.action] || r.action), h("td", {}, r.category || "—"), h("td", { class: "num" }, String(r.count)))),
      ),
    ),
  );
}

export function transparencyView(ctx) {
  const list = h("div", { class: "mod-list", testid: "transparency" }, spinner());
  (async () => {
    try {
      const months = await moderation.transparency(null, { signal: ctx.signal });
      if (!ctx.alive) return;
      mount(list, months.length ? months.map(monthTable) : emptyState({ iconName: "shield", title: "Nothing to report yet", testid: "transparency-empty" }));
    } catch (err) {
      if (err.name !== "AbortError" && ctx.alive) mount(list, failed(err));
    }
  })();
  return screen(ctx, {
    title: "Transparency",
    back: safeNext(ctx.query.back) || "/me",
    testid: "screen-transparency",
    body: [h("p", { class: "cells-foot" }, "Every moderation action is logged with its reason. These are the monthly totals."), list],
  });
}
