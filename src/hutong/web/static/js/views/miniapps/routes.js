// Mini-program screens for users: the directory (Discover → Mini Programs), an app's page,
// a running app, and the consents in settings. The developer console is views/developer.

import { route } from "../../router.js";
import { appPageView, directoryView } from "./directory.js";
import { grantsView } from "./grants.js";
import { runnerView } from "./runner.js";

route("/miniapps", directoryView, { auth: true });
route("/miniapps/apps/:appid", appPageView, { auth: true });
route("/miniapps/open/:appid", runnerView, { auth: true });
route("/me/miniapps", grantsView, { auth: true });
