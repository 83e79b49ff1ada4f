// Microblog screens (Discover → Feed). Each screen registers its hash route here.

import { route } from "../../router.js";
import { composeView, repostView } from "./compose.js";
import { detailView } from "./detail.js";
import { homeView } from "./home.js";
import { hotView } from "./hot.js";
import { notificationsView } from "./notifications.js";
import { followersView, followingView } from "./people.js";
import { profileView } from "./profile.js";
import { searchView } from "./search.js";
import { topicView } from "./topic.js";

route("/feed", homeView, { auth: true });
route("/feed/compose", composeView, { auth: true });
route("/feed/hot", hotView, { auth: true });
route("/feed/search", searchView, { auth: true });
route("/feed/notifications", notificationsView, { auth: true });
route("/feed/p/:id", detailView, { auth: true });
route("/feed/p/:id/repost", repostView, { auth: true });
route("/feed/topic/:name", topicView, { auth: true });
route("/feed/u/:handle", profileView, { auth: true });
route("/feed/u/:handle/followers", followersView, { auth: true });
route("/feed/u/:handle/following", followingView, { auth: true });
