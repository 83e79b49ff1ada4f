// Microblog screens (Discover → Feed). Each screen registers its hash route here.

// import { route } from "../../router.js";
