// The mini-program developer console (Me → Mini-program developer). Each screen registers its
// hash route here; the moderators' review screen is in ../admin/miniapps.js.

import { route } from "../../router.js";
import { appView } from "./app.js";
import { developerView } from "./home.js";

route("/developer", developerView, { auth: true });
route("/developer/apps/:appid", appView, { auth: true });
