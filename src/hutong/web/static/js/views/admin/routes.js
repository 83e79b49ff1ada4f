// Moderation screens: the moderators' console, reports, notices and appeals.

// import { route } from "../../router.js";
