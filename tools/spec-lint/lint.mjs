// `make spec-lint`: Redocly CLI over the contract; fails on any problem, warnings included.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const spec = process.argv[2] ?? join(here, "..", "..", "openapi", "openapi.yaml");
// Run Redocly with this very node (the Makefile may pick one newer than the PATH's).
const redocly = join(here, "node_modules", "@redocly", "cli", "bin", "cli.js");
const run = spawnSync(process.execPath, [redocly, "lint", "--config", join(here, "redocly.yaml"), "--format=json", spec], {
  encoding: "utf8",
});

let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  process.stderr.write(run.stderr || run.error?.message || "redocly printed no report\n");
  process.exit(2);
}
for (const problem of report.problems) {
  const where = problem.location?.[0]?.pointer ?? "";
  console.log(`${problem.severity.padEnd(5)} ${problem.ruleId}: ${problem.message} (${where})`);
}
const { errors, warnings } = report.totals;
console.log(`redocly ${report.version}: ${errors} errors, ${warnings} warnings in ${spec}`);
process.exit(run.status === 0 && errors === 0 && warnings === 0 ? 0 : 1);
