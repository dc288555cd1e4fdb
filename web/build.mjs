// Build step of the static frontend: turns the readable sources in static/ (plus the libraries
// the pages import from npm) into the directory the fileserver serves, web/dist/ (generated,
// git-ignored; spin.toml mounts it at /).
//
//   node web/build.mjs [--src DIR] [--out DIR]     (defaults: static/ and web/dist/)
//
// `cargo xtask build` and `spin build` run it. What it writes:
//
// - JS and CSS under fingerprinted names, `js/api.<12 hex of SHA-256>.js`. Import specifiers
//   (static `import … from "…"`, `export … from "…"` and `import("…")` with a string literal)
//   are rewritten to the fingerprinted names of their targets, so a module's hash covers its
//   whole import graph: change api.js and every module importing it, main.js and index.html
//   get new names too. Imports are found with es-module-lexer (npm), not with a regex.
// - index.html with its `src`/`href` pointing at the fingerprinted files.
// - Every other file (images, locale/*.json) under its own name.
// - `sw.js`, the service worker, under its own name (its URL is its identity and its directory
//   its scope): the build writes the cache version and the list of files to precache into
//   it, so every build that changes a served file is a new service worker.
// - PNG icons rendered from img/icon.svg with resvg (npm): the web app manifest's icons
//   (192 and 512 px, a maskable one) and iOS's apple-touch-icon.
// - For text files of at least 256 bytes, precompressed variants `<name>.gz` (gzip level 9)
//   and `<name>.br` (brotli quality 11), each kept only when it is smaller.
// - `manifest.tsv`: one line per served path with the ETags of its representations. The
//   fileserver serves exactly these paths and computes nothing per request. The variants
//   and the manifest itself are not in it, so they are not served as paths of their own.
//
// Deterministic and idempotent: unchanged files are not rewritten; the manifest is replaced
// atomically after every file it names exists; files of a previous build that are no longer
// named are removed last. Works offline once web/node_modules exists; runs `npm ci` itself
// only when it is missing (the only step that needs the npm registry).

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync, mkdirSync, readFileSync, writeFileSync, readdirSync, rmSync, renameSync, statSync,
} from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants as zlib, gzipSync } from "node:zlib";

const web = dirname(fileURLToPath(import.meta.url));
const root = dirname(web);

/** The name of the index the fileserver reads (see fileserver/src/manifest.rs). */
export const MANIFEST = "manifest.tsv";
/** Text files shorter than this are never compressed (the header costs more than it saves). */
const MIN_COMPRESS_BYTES = 256;
/** Hex digits of the content hash in a fingerprinted name (the fileserver accepts 8–64). */
const HASH_DIGITS = 12;
const FINGERPRINTED = /\.(js|mjs|css)$/;
const COMPRESSIBLE = /\.(html|js|mjs|css|json|svg|txt|webmanifest|xml)$/;

// Libraries the pages import at run time, copied from web/node_modules into the output
// (served under /vendor/). Every name keeps a known extension: the fileserver guesses none.
const VENDOR = [
  { from: "uqr/dist/index.mjs", to: "vendor/uqr.mjs", banner: true },
  { from: "uqr/LICENSE", to: "vendor/uqr.LICENSE.txt" },
];
// What the build itself needs from web/node_modules.
const BUILD_DEPS = ["es-module-lexer/package.json", "@resvg/resvg-js/package.json"];

/** The service worker: a classic script at a fixed URL, never fingerprinted (see sw.js). */
export const SERVICE_WORKER = "sw.js";
/** What the build replaces in sw.js with `{"version": …, "precache": […]}`. */
const SW_MARKER = "self.__BUILD__";
/** A JS or CSS file that is fingerprinted and may be imported. */
const isAsset = (rel) => FINGERPRINTED.test(rel) && rel !== SERVICE_WORKER;

// PNG icons of the installed app, rendered from one SVG. `inset`: the margin around the
// drawing (a share of the size); `fill`: a background over the whole square (maskable icons
// and iOS, which shows transparent corners black). The maskable icon keeps the drawing
// inside the central 80 % circle that every launcher mask leaves visible.
const ICON_SOURCE = "img/icon.svg";
const ICON_FILL = "#c2410c"; // the colour of icon.svg's rounded square
const ICONS = [
  { to: "img/icon-192.png", size: 192, inset: 0, fill: false },
  { to: "img/icon-512.png", size: 512, inset: 0, fill: false },
  { to: "img/icon-maskable-512.png", size: 512, inset: 0.14, fill: true },
  { to: "img/apple-touch-icon.png", size: 180, inset: 0, fill: true },
];
/** The web app manifest; every icon it names must be a file of the build. */
const WEB_MANIFEST = "manifest.webmanifest";

class BuildError extends Error {}

function args(argv) {
  const options = { src: join(root, "static"), out: join(web, "dist") };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    if ((flag === "--src" || flag === "--out") && argv[i + 1]) {
      options[flag.slice(2)] = resolve(argv[i + 1]);
      i += 1;
    } else {
      throw new BuildError(`unknown argument ${flag}; usage: node web/build.mjs [--src DIR] [--out DIR]`);
    }
  }
  return options;
}

function ensureNodeModules() {
  const needed = [...VENDOR.map((f) => f.from), ...BUILD_DEPS];
  if (!needed.some((f) => !existsSync(join(web, "node_modules", f)))) return;
  console.log("web/build.mjs: node_modules missing, running npm ci --prefix web");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const run = spawnSync(npm, ["ci", "--no-audit", "--no-fund", "--prefix", web], { stdio: "inherit" });
  if (run.status !== 0) throw new BuildError("npm ci failed");
}

function packageVersion(pkg) {
  return JSON.parse(readFileSync(join(web, "node_modules", pkg, "package.json"), "utf8")).version;
}

/** Relative paths (with `/`) of every file under `dir`; dotfiles are refused, never served. */
function walk(dir, prefix = "") {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = `${prefix}${entry.name}`;
    if (entry.name.startsWith(".")) {
      throw new BuildError(`${rel}: dotfiles are never served; keep them out of the sources`);
    }
    if (entry.isDirectory()) out.push(...walk(join(dir, entry.name), `${rel}/`));
    else out.push(rel);
  }
  return out;
}

/** Source path → bytes: static/ plus the vendored libraries. */
function sources(src) {
  const files = new Map();
  for (const rel of walk(src)) files.set(rel, readFileSync(join(src, rel)));
  for (const file of VENDOR) {
    if (files.has(file.to)) throw new BuildError(`${file.to} exists in the sources and is also vendored`);
    let bytes = readFileSync(join(web, "node_modules", file.from));
    if (file.banner) {
      const pkg = file.from.split("/")[0];
      const banner = `// ${pkg} ${packageVersion(pkg)} (MIT, see ${pkg}.LICENSE.txt) — copied by web/build.mjs, do not edit.\n`;
      bytes = Buffer.concat([Buffer.from(banner), bytes]);
    }
    files.set(file.to, bytes);
  }
  if (files.has(MANIFEST)) throw new BuildError(`${MANIFEST} is reserved for the build's manifest`);
  if (!files.has("index.html")) throw new BuildError("the sources have no index.html");
  return files;
}

function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

function fingerprinted(rel, bytes) {
  const dot = rel.lastIndexOf(".");
  return `${rel.slice(0, dot)}.${sha256(bytes).slice(0, HASH_DIGITS)}${rel.slice(dot)}`;
}

/** The source path a specifier of module `from` refers to (site paths, no bare specifiers). */
function resolveSpecifier(from, specifier) {
  if (!/^(\.{1,2}\/|\/(?!\/))/.test(specifier)) {
    throw new BuildError(`${from}: import "${specifier}" is not a relative or site path (no bare specifiers, no other origins)`);
  }
  const base = posix.dirname(`/${from}`);
  return posix.resolve(base, specifier.split(/[?#]/)[0]).slice(1);
}

/**
 * Names every JS and CSS file by its content hash, rewriting the import specifiers of JS
 * modules first (dependencies before dependants; an import cycle is an error, because no
 * file of a cycle could name the others' hashes).
 */
function fingerprintAssets(files, lexer) {
  const served = new Map(); // source path → served path
  const output = new Map(); // served path → bytes
  const visiting = new Set();
  const visit = (rel, chain) => {
    if (served.has(rel)) return served.get(rel);
    if (visiting.has(rel)) throw new BuildError(`import cycle: ${[...chain, rel].join(" → ")}`);
    visiting.add(rel);
    let bytes = files.get(rel);
    if (/\.m?js$/.test(rel)) {
      const text = bytes.toString("utf8");
      let imports;
      try {
        [imports] = lexer.parse(text, rel);
      } catch (error) {
        throw new BuildError(`${rel}: cannot parse as an ES module: ${error.message}`);
      }
      let rewritten = "";
      let last = 0;
      for (const item of imports) {
        if (item.type !== "static" && item.type !== "reexport-star" && item.type !== "dynamic") continue;
        if (item.specifier === undefined) {
          throw new BuildError(`${rel}: import(${text.slice(item.start, item.end)}) has no string literal; the build cannot fingerprint its target`);
        }
        const target = resolveSpecifier(rel, item.specifier);
        if (!files.has(target) || !isAsset(target)) {
          throw new BuildError(`${rel}: import "${item.specifier}" names ${target}, which is not a module of the sources`);
        }
        const path = `/${visit(target, [...chain, rel])}`;
        // Static specifiers are given without their quotes, dynamic ones with them.
        const replacement = item.type === "dynamic" ? JSON.stringify(path) : path;
        rewritten += text.slice(last, item.start) + replacement;
        last = item.end;
      }
      bytes = Buffer.from(rewritten + text.slice(last));
    }
    const name = fingerprinted(rel, bytes);
    visiting.delete(rel);
    served.set(rel, name);
    output.set(name, bytes);
    return name;
  };
  for (const rel of [...files.keys()].sort()) {
    if (isAsset(rel)) visit(rel, []);
  }
  return { served, output };
}

/** Points `src`/`href` attributes of an HTML page at the fingerprinted files. */
function rewriteHtml(rel, bytes, served) {
  const text = bytes.toString("utf8");
  return Buffer.from(text.replace(/\b(src|href)="([^"]*)"/g, (whole, attr, url) => {
    if (!url.startsWith("/") || url.startsWith("//")) return whole;
    const target = url.slice(1).split(/[?#]/)[0];
    if (!FINGERPRINTED.test(target)) return whole;
    const name = served.get(target);
    if (!name) throw new BuildError(`${rel}: ${attr}="${url}" names no file of the sources`);
    return `${attr}="/${name}"`;
  }));
}

/** The representations of one served file: identity, plus gzip and brotli when they pay. */
function representations(rel, bytes) {
  const hash = sha256(bytes).slice(0, 20);
  const reps = { identity: { bytes, etag: `"${hash}"` } };
  if (COMPRESSIBLE.test(rel) && bytes.length >= MIN_COMPRESS_BYTES) {
    const gz = gzipSync(bytes, { level: 9 });
    if (gz.length < bytes.length) reps.gzip = { bytes: gz, etag: `"${hash}-gz"` };
    const br = brotliCompressSync(bytes, {
      params: {
        [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
        [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
        [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    });
    if (br.length < bytes.length) reps.br = { bytes: br, etag: `"${hash}-br"` };
  }
  return reps;
}

/** Renders the PNG icons from `svg` (resvg: deterministic, no browser, no system fonts). */
async function renderIcons(svg) {
  const { Resvg } = await import("@resvg/resvg-js");
  const out = new Map();
  const href = `data:image/svg+xml;base64,${svg.toString("base64")}`;
  for (const icon of ICONS) {
    const inner = 100 * (1 - 2 * icon.inset);
    const at = 100 * icon.inset;
    const page = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">${
      icon.fill ? `<rect width="100" height="100" fill="${ICON_FILL}"/>` : ""
    }<image x="${at}" y="${at}" width="${inner}" height="${inner}" href="${href}"/></svg>`;
    const png = new Resvg(page, { fitTo: { mode: "width", value: icon.size } }).render().asPng();
    out.set(icon.to, Buffer.from(png));
  }
  return out;
}

/** Fails when the web app manifest is not JSON or names an icon the build does not serve. */
function checkWebManifest(output) {
  const bytes = output.get(WEB_MANIFEST);
  if (!bytes) return;
  let manifest;
  try {
    manifest = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw new BuildError(`${WEB_MANIFEST}: not JSON: ${error.message}`);
  }
  for (const icon of manifest.icons || []) {
    const path = String(icon.src || "").replace(/^\//, "");
    if (!output.has(path)) throw new BuildError(`${WEB_MANIFEST}: icon ${icon.src} is not a file of the build`);
  }
}

/**
 * The service worker with its build data: `precache` lists every served path (index.html as
 * `/`), `version` is a hash of those paths and their contents, so a build that changes any
 * served file makes a new service worker with a new cache.
 */
function serviceWorker(bytes, output) {
  const text = bytes.toString("utf8");
  if (text.split(SW_MARKER).length !== 2) {
    throw new BuildError(`${SERVICE_WORKER}: must contain ${SW_MARKER} exactly once (the build writes its data there)`);
  }
  const paths = [...output.keys()].filter((rel) => rel !== SERVICE_WORKER).sort();
  const version = sha256(paths.map((rel) => `${rel}\t${sha256(output.get(rel))}`).join("\n")).slice(0, HASH_DIGITS);
  const precache = paths.map((rel) => (rel === "index.html" ? "/" : `/${rel}`));
  return Buffer.from(text.replace(SW_MARKER, JSON.stringify({ version, precache })));
}

function writeIfChanged(path, bytes) {
  if (existsSync(path) && readFileSync(path).equals(bytes)) return false;
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, bytes);
  renameSync(temp, path);
  return true;
}

/** Removes every file under `dir` not in `keep` (relative paths), then empty directories. */
function prune(dir, keep, prefix = "") {
  let removed = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = `${prefix}${entry.name}`;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      removed += prune(full, keep, `${rel}/`);
      if (readdirSync(full).length === 0) rmSync(full, { recursive: true });
    } else if (!keep.has(rel)) {
      rmSync(full, { force: true });
      removed += 1;
    }
  }
  return removed;
}

export async function build({ src, out }) {
  ensureNodeModules();
  // Older builds vendored into the sources; that copy would now be served twice.
  const oldVendor = join(root, "static", "vendor");
  if (src === join(root, "static") && existsSync(oldVendor)) {
    rmSync(oldVendor, { recursive: true, force: true });
    console.log("web/build.mjs: removed static/vendor/ (left by an older build; vendored files go to the output now)");
  }
  const lexer = await import("es-module-lexer");
  await lexer.init;
  const files = sources(src);
  const { served, output } = fingerprintAssets(files, lexer);
  for (const [rel, bytes] of files) {
    if (isAsset(rel) || rel === SERVICE_WORKER) continue;
    output.set(rel, rel.endsWith(".html") ? rewriteHtml(rel, bytes, served) : bytes);
  }
  if (files.has(ICON_SOURCE)) {
    for (const [rel, png] of await renderIcons(files.get(ICON_SOURCE))) {
      if (files.has(rel)) throw new BuildError(`${rel} exists in the sources and is also rendered from ${ICON_SOURCE}`);
      output.set(rel, png);
    }
  }
  checkWebManifest(output);
  // Last: the service worker lists every other file.
  if (files.has(SERVICE_WORKER)) output.set(SERVICE_WORKER, serviceWorker(files.get(SERVICE_WORKER), output));

  mkdirSync(out, { recursive: true });
  const keep = new Set([MANIFEST]);
  const lines = [
    "# Drink Orders static files, written by web/build.mjs: the fileserver serves exactly these paths.",
    "# path\tETag\tgzip ETag (file <path>.gz)\tbrotli ETag (file <path>.br); - when there is no such variant",
  ];
  let written = 0;
  for (const rel of [...output.keys()].sort()) {
    if (/[\t\n\r]/.test(rel)) throw new BuildError(`${JSON.stringify(rel)}: no tabs or line breaks in file names`);
    const reps = representations(rel, output.get(rel));
    const variants = [["identity", ""], ["gzip", ".gz"], ["br", ".br"]];
    for (const [coding, suffix] of variants) {
      if (!reps[coding]) continue;
      keep.add(rel + suffix);
      if (writeIfChanged(join(out, rel + suffix), reps[coding].bytes)) written += 1;
    }
    lines.push([rel, ...variants.map(([coding]) => reps[coding]?.etag ?? "-")].join("\t"));
  }
  // Readers see either the old manifest (whose files are all still there) or the new one.
  writeIfChanged(join(out, MANIFEST), Buffer.from(`${lines.join("\n")}\n`));
  const removed = prune(out, keep);
  console.log(`web/build.mjs: ${out} up to date (${output.size} files served, ${written} written, ${removed} removed)`);
  return { served, manifest: join(out, MANIFEST) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const options = args(process.argv.slice(2));
    if (!existsSync(options.src) || !statSync(options.src).isDirectory()) {
      throw new BuildError(`${options.src} is not a directory`);
    }
    await build(options);
  } catch (error) {
    console.error(`web/build.mjs: ${error instanceof BuildError ? error.message : error.stack}`);
    process.exit(1);
  }
}
