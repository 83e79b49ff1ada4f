// Wallet screens (Me → Wallet). Each screen registers its hash route here.

// import { route } from "../../router.js";
