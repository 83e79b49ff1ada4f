// #/admin — the moderation console's home: what waits in the queue and the other tools.

import { h } from "../../dom.js";
import * as moderation from "../../data/moderation.js";
import { cell, group, groupTitle } from "../../ui/cells.js";
import { screen } from "../../ui/layout.js";
import { isStaff, staffOnly } from "./common.js";
import { pendingReviews } from "./miniapps.js";

function count(ctx, load, testid) {
  const el = h("span", { testid }, "…");
  load()
    .then((n) => ctx.alive && (el.textContent = n))
    .catch(() => ctx.alive && (el.textContent = "?"));
  return el;
}

const pageCount = (page) => (page.next_cursor ? `${page.cases.length}+` : String(page.cases.length));

export function consoleView(ctx) {
  if (!isStaff()) return staffOnly(ctx, "Moderation");
  const opts = { signal: ctx.signal };
  const queued = count(ctx, async () => pageCount(await moderation.queue({ status: "open", limit: 200 }, opts)), "count-open");
  const held = count(ctx, async () => pageCount(await moderation.queue({ status: "open", source: "held", limit: 200 }, opts)), "count-held");
  const mine = count(ctx, async () => pageCount(await moderation.queue({ status: "claimed", mine: true, limit: 200 }, opts)), "count-mine");
  const appeals = count(ctx, async () => String((await moderation.appeals("open", opts)).length), "count-appeals");
  return screen(ctx, {
    title: "Moderation",
    back: "/me",
    testid: "screen-admin",
    body: [
      groupTitle("Review queue"),
      group(
        cell({ icon: "flag", tone: "orange", title: "Open cases", note: "Reports and held posts, oldest first", value: queued, href: "#/admin/queue", testid: "admin-queue" }),
        cell({ icon: "clock", tone: "blue", title: "Held for review", note: "Waiting for a moderator to publish", value: held, href: "#/admin/queue?source=held", testid: "admin-held" }),
        cell({ icon: "check", tone: "green", title: "Claimed by me", value: mine, href: "#/admin/queue?status=claimed&mine=1", testid: "admin-mine" }),
        cell({ icon: "alert", tone: "purple", title: "Appeals", note: "Decided by a second moderator", value: appeals, href: "#/admin/appeals", testid: "admin-appeals" }),
        cell({ icon: "miniapps", tone: "blue", title: "Mini-programs", note: "Versions submitted for review", value: count(ctx, () => pendingReviews(opts), "count-miniapps"), href: "#/admin/miniapps", testid: "admin-miniapps" }),
      ),
      groupTitle("Rules and records"),
      group(
        cell({ icon: "tag", tone: "orange", title: "Term lists", note: "Block, mask or hold for review; test a text", href: "#/admin/terms", testid: "admin-terms" }),
        cell({ icon: "book", tone: "blue", title: "Audit log", note: "Who did what, why and when", href: "#/admin/audit", testid: "admin-audit" }),
        cell({ icon: "shield", tone: "green", title: "Transparency", note: "Public monthly counts", href: "#/transparency?back=%2Fadmin", testid: "admin-transparency" }),
      ),
    ],
  });
}
