// The few line icons only the feed uses (24×24, currentColor), in the manner of js/icons.js.

import { s } from "../../dom.js";

const GLYPHS = {
  heart: "M12 20s-7.5-4.6-7.5-10.1A4.4 4.4 0 0 1 12 7.3a4.4 4.4 0 0 1 7.5 2.6C19.5 15.4 12 20 12 20z",
  repost: "M5 10V8.5A2.5 2.5 0 0 1 7.5 6H18M15.5 3.5L18 6l-2.5 2.5M19 14v1.5a2.5 2.5 0 0 1-2.5 2.5H6M8.5 20.5L6 18l2.5-2.5",
  comment: "M4.5 5.5h15v10.5h-9l-4 3.5V16h-2z",
  bell: "M6 16.5V11a6 6 0 0 1 12 0v5.5l1.5 1.5h-15zM10 20.5h4",
  pen: "M4.5 19.5l1-4L15.8 5.2a2 2 0 0 1 2.9 0l.1.1a2 2 0 0 1 0 2.9L8.5 18.5zM13.5 7.5l3 3",
  fire: "M12 21c-3.9 0-6.5-2.6-6.5-6.2 0-3.7 3-5.6 3.6-9.3 2.3 1.4 3.2 3.5 3.1 5.3 1-.6 1.7-1.8 1.9-3.1 2.5 1.9 4.4 4.3 4.4 7.3 0 3.5-2.6 6-6.5 6z",
};

export function glyph(name, { size = 20, filled = false } = {}) {
  return s(
    "svg",
    {
      class: ["icon", "glyph", filled && "glyph--filled"],
      viewBox: "0 0 24 24",
      width: size,
      height: size,
      fill: filled ? "currentColor" : "none",
      stroke: "currentColor",
      "stroke-width": 1.6,
      "stroke-linecap": "round",
      "stroke-linejoin": "round",
      "aria-hidden": "true",
      focusable: "false",
    },
    s("path", { d: GLYPHS[name] }),
  );
}
