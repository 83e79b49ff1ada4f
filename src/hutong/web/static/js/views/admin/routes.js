// Moderation screens: the moderators' console, reports, notices and appeals.
// Other screens open the report dialog with `reportSheet` from ./report.js.

import { route } from "../../router.js";
import * as store from "../../store.js";
import { toast } from "../../ui/feedback.js";
import { appealsView } from "./appeals.js";
import { auditView } from "./audit.js";
import { caseView } from "./case.js";
import { miniappReviewView } from "./miniapps.js";
import { consoleView } from "./console.js";
import { noticesView } from "./notices.js";
import { queueView } from "./queue.js";
import { termsView } from "./terms.js";
import { transparencyView } from "./transparency.js";

route("/admin", consoleView, { auth: true });
route("/admin/queue", queueView, { auth: true });
route("/admin/cases/:id", caseView, { auth: true });
route("/admin/terms", termsView, { auth: true });
route("/admin/appeals", appealsView, { auth: true });
route("/admin/audit", auditView, { auth: true });
route("/admin/miniapps", miniappReviewView, { auth: true });
route("/notices", noticesView, { auth: true });
route("/transparency", transparencyView, { auth: true });

// A decision about me, or about my appeal, is worth a word wherever I am.
store.on("event:moderation.notice", ({ live }) => {
  if (live && location.hash !== "#/notices") toast("A moderator acted on your account. See Me → Notices.", { ms: 5000 });
});
store.on("event:moderation.appeal_decided", ({ event, live }) => {
  if (live && location.hash !== "#/notices") toast(event.payload.granted ? "Your appeal was granted." : "Your appeal was answered. See Me → Notices.", { ms: 5000 });
});
