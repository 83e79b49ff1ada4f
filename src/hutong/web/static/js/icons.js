// Line icons on a 24×24 grid, drawn with currentColor so CSS decides their colour.

import { s } from "./dom.js";

const P = (d) => ["path", { d }];
const C = (cx, cy, r) => ["circle", { cx, cy, r }];
const R = (x, y, width, height, rx = 0) => ["rect", { x, y, width, height, rx }];

const ICONS = {
  chats: [P("M12 3.5c4.97 0 9 3.36 9 7.5s-4.03 7.5-9 7.5c-1.1 0-2.15-.16-3.12-.46L4 20l1.3-3.7C3.86 14.97 3 13.08 3 11c0-4.14 4.03-7.5 9-7.5z"), P("M8.5 11h.01M12 11h.01M15.5 11h.01")],
  contacts: [C(9, 8, 3.6), P("M2.5 19.5c.6-3.3 3.3-5.5 6.5-5.5s5.9 2.2 6.5 5.5"), P("M15.5 4.7a3.6 3.6 0 0 1 0 6.6"), P("M18 14.4c1.9.8 3.1 2.6 3.5 5.1")],
  discover: [C(12, 12, 9), P("M15.8 8.2l-2.1 5.5-5.5 2.1 2.1-5.5z")],
  me: [C(12, 8, 4), P("M4 20.5c.8-3.9 4-6 8-6s7.2 2.1 8 6")],
  back: [P("M15 5l-7 7 7 7")],
  chevron: [P("M9.5 6l6 6-6 6")],
  plus: [C(12, 12, 9), P("M12 8v8M8 12h8")],
  search: [C(11, 11, 6.5), P("M16 16l4.5 4.5")],
  moments: [C(12, 12, 9), P("M14.31 8l5.74 9.94M9.69 8h11.48M7.38 12l5.74-9.94M9.69 16L3.95 6.06M14.31 16H2.83M16.62 12l-5.74 9.94")],
  scan: [P("M4 8V5.5A1.5 1.5 0 0 1 5.5 4H8M16 4h2.5A1.5 1.5 0 0 1 20 5.5V8M20 16v2.5a1.5 1.5 0 0 1-1.5 1.5H16M8 20H5.5A1.5 1.5 0 0 1 4 18.5V16M4 12h16")],
  miniapps: [R(4, 4, 6.5, 6.5, 1.8), R(13.5, 4, 6.5, 6.5, 1.8), R(4, 13.5, 6.5, 6.5, 1.8), C(16.75, 16.75, 3.25)],
  devices: [R(2.5, 4.5, 14, 10, 1.5), P("M6 18.5h7M9.5 14.5v4"), R(17.5, 8.5, 4.5, 11, 1)],
  lock: [R(5, 11, 14, 9.5, 2), P("M8 11V8a4 4 0 0 1 8 0v3")],
  edit: [P("M4 20h4L19 9l-4-4L4 16z"), P("M13 7l4 4")],
  logout: [P("M9 20H6a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2h3"), P("M16 17l5-5-5-5M21 12H9")],
  qr: [R(3.5, 3.5, 6.5, 6.5, 1), R(14, 3.5, 6.5, 6.5, 1), R(3.5, 14, 6.5, 6.5, 1), P("M14 14h2.5v2.5H14zM20.5 14v.01M14 20.5h6.5M20.5 17.5v3")],
  check: [P("M5 12.5l4.5 4.5L19 7.5")],
  camera: [P("M4 8.5h3.2L9 6h6l1.8 2.5H20v10.5H4z"), C(12, 13.5, 3.4)],
  userPlus: [C(9, 8, 3.8), P("M2.5 20c.7-3.6 3.3-5.6 6.5-5.6 1.6 0 3 .5 4.1 1.3M18.5 8v6M15.5 11h6")],
  group: [C(9, 8, 3.6), P("M2.5 19.5c.6-3.3 3.3-5.5 6.5-5.5s5.9 2.2 6.5 5.5"), P("M15.5 4.7a3.6 3.6 0 0 1 0 6.6"), P("M18 14.4c1.9.8 3.1 2.6 3.5 5.1")],
  tag: [P("M3.5 12.2V4.5a1 1 0 0 1 1-1h7.7l8.3 8.3-8.7 8.7z"), C(8, 8, 1.4)],
  monitor: [R(3, 4, 18, 12, 1.5), P("M8 20h8M12 16v4")],
  phone: [R(7, 2.5, 10, 19, 2), P("M11 18.5h2")],
  close: [P("M6 6l12 12M18 6L6 18")],
  refresh: [P("M19.5 12a7.5 7.5 0 1 1-2.2-5.3"), P("M19.5 4.5v4h-4")],
  shield: [P("M12 3l7.5 3v5.5c0 4.6-3.2 8.3-7.5 9.5-4.3-1.2-7.5-4.9-7.5-9.5V6z"), P("M8.8 12.2l2.2 2.2 4.2-4.4")],
  alert: [C(12, 12, 9), P("M12 7.5v5.5M12 16.5h.01")],
  clock: [C(12, 12, 9), P("M12 7v5l3.5 2")],
  more: [P("M5.5 12h.01M12 12h.01M18.5 12h.01")],
};

/** An inline SVG icon, e.g. icon("chats"). */
export function icon(name, { size = 24, cls = "" } = {}) {
  const parts = ICONS[name] || ICONS.more;
  return s(
    "svg",
    {
      class: ["icon", `icon-${name}`, cls],
      viewBox: "0 0 24 24",
      width: size,
      height: size,
      fill: "none",
      stroke: "currentColor",
      "stroke-width": 1.7,
      "stroke-linecap": "round",
      "stroke-linejoin": "round",
      "aria-hidden": "true",
      focusable: "false",
    },
    parts.map(([tag, attrs]) => s(tag, attrs)),
  );
}

/** The Hutong mark: two speech bubbles in a green rounded square. */
export function logo({ size = 56 } = {}) {
  return s(
    "svg",
    { class: "logo", viewBox: "0 0 64 64", width: size, height: size, "aria-hidden": "true" },
    s("rect", { width: 64, height: 64, rx: 15, class: "logo-bg" }),
    s("path", { class: "logo-fg", d: "M26 14c-9.4 0-17 6.3-17 14.1 0 4.3 2.3 8.2 6 10.8L13.6 45l6.6-3.4c1.8.5 3.8.7 5.8.7h.9c-.4-1.3-.6-2.6-.6-4 0-8.5 8.1-15.3 18.1-15.3h.8C43.5 17.9 35.6 14 26 14z" }),
    s("path", { class: "logo-fg", d: "M44.3 26.1c-8.1 0-14.6 5.4-14.6 12.1s6.5 12.1 14.6 12.1c1.6 0 3.1-.2 4.5-.6l5.4 2.8-1.2-4.7c3.6-2.2 5.9-5.7 5.9-9.6 0-6.7-6.5-12.1-14.6-12.1z" }),
  );
}
