// The registry this project is built against serves only some platforms' native binaries
// (@next/swc-*, @rollup/rollup-*, @tailwindcss/oxide-*, …): the others answer 404, so npm leaves
// them out of package-lock.json, and `npm ci` then refuses the lock ("Missing: … from lock file").
// This adds each missing optional platform package with its exact version and the os/cpu/libc it
// is for, read from its name. npm skips them on every other platform, and a machine of that
// platform fetches them from its own registry. Run after changing dependencies:
//   npm install --package-lock-only && node scripts/complete-lockfile.mjs
import { readFileSync, writeFileSync } from "node:fs";

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));
const packages = lock.packages;

const OS = ["darwin", "linux", "win32", "android", "freebsd", "openbsd", "netbsd", "openharmony", "sunos", "aix"];
const CPU = { x64: "x64", arm64: "arm64", arm: "arm", ia32: "ia32", loong64: "loong64", ppc64: "ppc64", riscv64: "riscv64", s390x: "s390x", wasm32: "wasm32" };

function platformOf(name) {
  const parts = name.split("/").pop().split("-");
  const os = parts.find((part) => OS.includes(part));
  const cpu = parts.map((part) => CPU[part]).find(Boolean);
  if (!cpu) return null;
  if (cpu === "wasm32") return { cpu: ["wasm32"] };
  if (!os) return null;
  const platform = { os: [os], cpu: [cpu] };
  if (os === "linux" && parts.includes("musl")) platform.libc = ["musl"];
  else if (os === "linux" && (parts.includes("gnu") || parts.includes("gnueabihf"))) platform.libc = ["glibc"];
  else if (os === "linux" && parts.includes("musleabihf")) platform.libc = ["musl"];
  return platform;
}

/** Where Node would look for `name` from the package at `from` (the node_modules walk). */
function resolves(from, name) {
  let dir = from;
  for (;;) {
    if (packages[`${dir ? `${dir}/` : ""}node_modules/${name}`]) return true;
    if (!dir) return false;
    const index = dir.lastIndexOf("/node_modules/");
    dir = index >= 0 ? dir.slice(0, index) : "";
  }
}

let added = 0;
for (const [path, meta] of Object.entries({ ...packages })) {
  for (const [name, spec] of Object.entries(meta.optionalDependencies ?? {})) {
    if (resolves(path, name) || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) continue;
    const platform = platformOf(name);
    if (!platform) continue;
    const top = `node_modules/${name}`;
    const at = packages[top] ? `${path}/node_modules/${name}` : top;
    packages[at] = { version: spec, ...platform, optional: true };
    added += 1;
  }
}

lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform packages`);
