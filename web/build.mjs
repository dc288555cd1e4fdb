// Build step of the static frontend: copies the browser builds of the libraries the pages
// use at run time from web/node_modules into static/vendor/ (generated, git-ignored).
//
//   node web/build.mjs          (from anywhere; `cargo xtask build` and `spin build` run it)
//
// Idempotent and offline once web/node_modules exists; it runs `npm ci` itself only when
// node_modules is missing (the only step that needs the npm registry).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = dirname(fileURLToPath(import.meta.url));
const root = dirname(web);
const vendor = join(root, "static", "vendor");

// What the pages import, from where, and under which served name. Every name keeps a
// known extension (the fileserver refuses to guess a type).
const FILES = [
  { from: "uqr/dist/index.mjs", to: "uqr.mjs", banner: true },
  { from: "uqr/LICENSE", to: "uqr.LICENSE.txt" },
];

function ensureNodeModules() {
  const missing = FILES.some((f) => !existsSync(join(web, "node_modules", f.from)));
  if (!missing) return;
  console.log("web/build.mjs: node_modules missing, running npm ci --prefix web");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const run = spawnSync(npm, ["ci", "--no-audit", "--no-fund", "--prefix", web], {
    stdio: "inherit",
  });
  if (run.status !== 0) {
    console.error("web/build.mjs: npm ci failed");
    process.exit(1);
  }
}

function version(pkg) {
  return JSON.parse(readFileSync(join(web, "node_modules", pkg, "package.json"), "utf8")).version;
}

ensureNodeModules();
mkdirSync(vendor, { recursive: true });
const wanted = new Set(FILES.map((f) => f.to));
let written = 0;
for (const file of FILES) {
  const pkg = file.from.split("/")[0];
  let text = readFileSync(join(web, "node_modules", file.from), "utf8");
  if (file.banner) {
    text = `// ${pkg} ${version(pkg)} (MIT, see ${pkg}.LICENSE.txt) — copied by web/build.mjs, do not edit.\n${text}`;
  }
  const target = join(vendor, file.to);
  if (existsSync(target) && readFileSync(target, "utf8") === text) continue;
  writeFileSync(target, text);
  written += 1;
}
// Drop files a previous build wrote that are no longer wanted.
for (const name of readdirSync(vendor)) {
  if (!wanted.has(name)) rmSync(join(vendor, name), { recursive: true, force: true });
}
console.log(`web/build.mjs: static/vendor up to date (${FILES.length} files, ${written} written)`);
