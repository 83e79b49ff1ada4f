// Wallet screens (Me → Wallet). Each screen registers its hash route here.

import "../../data/wallet.js";
import { route } from "../../router.js";
import { cardsView, topupView, withdrawView } from "./bank.js";
import { billsView } from "./bills.js";
import { walletHomeView } from "./home.js";
import { merchantsView, merchantView } from "./merchant.js";
import { payView } from "./pay.js";
import { paycodeView } from "./paycode.js";
import { pinView } from "./pin.js";
import { redpacketsView } from "./redpackets.js";
import { transferDetailView, transferPickView, transfersView, transferView } from "./transfer.js";

route("/wallet", walletHomeView, { auth: true });
route("/wallet/pin", pinView, { auth: true });
route("/wallet/cards", cardsView, { auth: true });
route("/wallet/topup", topupView, { auth: true });
route("/wallet/withdraw", withdrawView, { auth: true });
route("/wallet/transfer", transferPickView, { auth: true });
route("/wallet/transfer/:user", transferView, { auth: true });
route("/wallet/transfers", transfersView, { auth: true });
route("/wallet/transfers/:id", transferDetailView, { auth: true });
route("/wallet/paycode", paycodeView, { auth: true });
route("/wallet/pay/:token", payView, { auth: true });
route("/wallet/bills", billsView, { auth: true });
route("/wallet/redpackets", redpacketsView, { auth: true });
route("/wallet/merchants", merchantsView, { auth: true });
route("/wallet/merchants/:id", merchantView, { auth: true });
