// QR codes as SVG, encoded by uqr (npm, copied to /vendor by web/build.mjs) and drawn here
// with DOM calls: one <path> of dark modules on a white square with a quiet zone.

import { encode } from "/vendor/uqr.mjs";
import { s } from "./dom.js";

export function qrSvg(text, { label = "", ecc = "M", border = 4 } = {}) {
  const qr = encode(text, { ecc, border });
  const size = qr.size;
  let d = "";
  qr.data.forEach((row, y) => {
    let x = 0;
    while (x < size) {
      if (!row[x]) {
        x += 1;
        continue;
      }
      const startX = x;
      while (x < size && row[x]) x += 1;
      d += `M${startX} ${y}h${x - startX}v1h${startX - x}z`;
    }
  });
  return s("svg", {
    class: "qr-code",
    viewBox: `0 0 ${size} ${size}`,
    role: "img",
    "aria-label": label,
    "shape-rendering": "crispEdges",
    "data-version": qr.version,
  },
  s("rect", { width: size, height: size, fill: "#ffffff" }),
  s("path", { d, fill: "#000000" }));
}
