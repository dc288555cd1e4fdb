// A deploy while a phone has the page open: after a new version is built and served, a reload
// runs only the new modules, although the old ones are cached for a year.
//
// Runs against an app that serves a private web root (tests/tests/browser.rs builds
// DEPLOY_SRC, a copy of static/, into DEPLOY_OUT and points the fileserver there). The
// "deploy" edits api.js in DEPLOY_SRC and rebuilds into DEPLOY_OUT, as `spin build` would
// before a new version goes out; the development host serves the new files from the next
// request on, under the same origin, so the browser's cache is what is being tested.

import { spawnSync } from "node:child_process";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { APP_URL, assert, assertEqual, assertNoProblems, log, newPage, scenario, waitUntil } from "./lib.mjs";

const SRC = process.env.DEPLOY_SRC;
const OUT = process.env.DEPLOY_OUT;
const BUILD = fileURLToPath(new URL("../build.mjs", import.meta.url));

function build() {
  const run = spawnSync(process.execPath, [BUILD, "--src", SRC, "--out", OUT], { encoding: "utf8" });
  assert(run.status === 0, `web/build.mjs failed:\n${run.stdout}\n${run.stderr}`);
  log(run.stdout.trim());
}

/** Served paths of the current build, from its manifest. */
function served() {
  return new Set(readFileSync(join(OUT, "manifest.tsv"), "utf8")
    .split("\n")
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => `/${line.split("\t")[0]}`));
}

/** The scripts this document loaded (from the network or the cache): path → bytes transferred. */
async function scriptsOf(page) {
  return new Map(await page.evaluate(() => performance.getEntriesByType("resource")
    .map((e) => [new URL(e.name).pathname, e.transferSize])
    .filter(([path]) => /\.m?js$/.test(path))));
}

async function visitorReady(page) {
  await page.locator("button.drink").first().waitFor({ state: "visible" });
}

await scenario("deploy", async (browser) => {
  assert(SRC && OUT, "DEPLOY_SRC and DEPLOY_OUT must be set (tests/tests/browser.rs does)");
  const v1 = served();
  const { page } = await newPage(browser, { name: "phone" });
  const cacheControl = new Map();
  page.on("response", (response) => {
    const path = new URL(response.url()).pathname;
    if (/\.m?js$/.test(path)) cacheControl.set(path, response.headers()["cache-control"]);
  });

  await page.goto(`${APP_URL}/`);
  await visitorReady(page);
  const first = await scriptsOf(page);
  assert(first.size >= 5, `the visitor page loads its modules: ${[...first.keys()]}`);
  for (const path of first.keys()) {
    assert(v1.has(path), `${path} is a file of the first build`);
    assertEqual(cacheControl.get(path), "public, max-age=31536000, immutable", `Cache-Control of ${path}`);
  }

  // A reload before any deploy takes every module from the cache, without asking the server.
  await page.reload();
  await visitorReady(page);
  const cached = await scriptsOf(page);
  assertEqual([...cached.keys()].sort().join(), [...first.keys()].sort().join(), "the same modules after a reload");
  const fetched = [...cached].filter(([, bytes]) => bytes > 0).map(([path]) => path);
  assertEqual(fetched.join(), "", "modules fetched again although immutable");

  // Deploy: a change in api.js (imported by every view) gives it, and every module that
  // imports it up to main.js and index.html, new names.
  appendFileSync(join(SRC, "js", "api.js"), '\ndocument.documentElement.dataset.deployed = "v2";\n');
  build();
  const v2 = served();
  const renamed = [...first.keys()].filter((path) => !v2.has(path));
  assert(renamed.some((path) => path.startsWith("/js/api.")), `api.js got a new name: ${renamed}`);
  assert(renamed.some((path) => path.startsWith("/js/main.")), `main.js got a new name: ${renamed}`);
  log(`deployed; renamed: ${renamed.join(", ")}`);

  await page.reload();
  await visitorReady(page);
  await waitUntil("the new api.js to run", () => page.evaluate(() => document.documentElement.dataset.deployed === "v2"));
  const after = await scriptsOf(page);
  for (const path of after.keys()) {
    assert(v2.has(path), `after the deploy the page loaded ${path}, which is not in the new build`);
  }
  for (const path of renamed) {
    assert(!after.has(path), `after the deploy the page still loaded the old ${path}`);
  }
  assertNoProblems(page);
});
