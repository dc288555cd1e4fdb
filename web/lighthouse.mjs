// Lighthouse (npm) on the visitor page, in Debian's Chromium started by chrome-launcher:
// prints every category's score and fails when one is below 95. Not part of CI (a run takes
// a minute and its performance score depends on the machine).
//
//   cargo xtask up &                       # or any running app
//   APP_URL=http://127.0.0.1:3000 npm run lighthouse --prefix web
//
// Options: APP_URL (default http://127.0.0.1:3000), CHROMIUM (default /usr/bin/chromium),
// LIGHTHOUSE_FORM_FACTOR=desktop for the desktop profile (default: mobile).

import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";

const url = `${(process.env.APP_URL || "http://127.0.0.1:3000").replace(/\/$/, "")}/`;
const MINIMUM = 95;
const desktop = process.env.LIGHTHOUSE_FORM_FACTOR === "desktop";

const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROMIUM || "/usr/bin/chromium",
  chromeFlags: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
  ],
});
let failed = false;
try {
  const flags = { port: chrome.port, output: "json", logLevel: "error" };
  const config = desktop ? (await import("lighthouse/core/config/desktop-config.js")).default : undefined;
  const { lhr } = await lighthouse(url, flags, config);
  console.log(`Lighthouse ${lhr.lighthouseVersion} on ${url} (${desktop ? "desktop" : "mobile"})`);
  for (const category of Object.values(lhr.categories)) {
    const score = Math.round(category.score * 100);
    if (score < MINIMUM) failed = true;
    console.log(`  ${category.title.padEnd(16)} ${score}`);
    if (score < 100) {
      for (const ref of category.auditRefs) {
        const audit = lhr.audits[ref.id];
        if (ref.weight > 0 && audit.score !== null && audit.score < 1) console.log(`      ${audit.id}: ${audit.title} (${audit.displayValue ?? audit.score})`);
      }
    }
  }
} finally {
  await chrome.kill();
}
if (failed) {
  console.error(`a category is below ${MINIMUM}`);
  process.exit(1);
}
