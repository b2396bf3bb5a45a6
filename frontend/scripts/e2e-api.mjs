// Starts the real API for the end-to-end tests on a throwaway embedded PostgreSQL: a fresh temp
// folder per run, removed when Playwright stops this process.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The embedded PostgreSQL may outlive the API process; stop it (fast shutdown) and remove its folder. */
async function cleanUp(dataDir) {
  const pidFile = join(dataDir, "postmaster.pid");
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      process.kill(pid, "SIGINT");
      for (let i = 0; i < 100 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// `--reap PID DIR`: a detached watchdog that cleans up even if the harness is killed with SIGKILL.
if (process.argv[2] === "--reap") {
  const [watched, dir] = [Number(process.argv[3]), process.argv[4] ?? ""];
  while (alive(watched)) await new Promise((resolve) => setTimeout(resolve, 1000));
  await cleanUp(dir);
  process.exit(0);
}

const port = process.env.E2E_API_PORT ?? "18000";
const backend = new URL("../../backend/", import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), "consumo-e2e-db-"));

const api = spawn(join(backend, ".venv/bin/python"), ["-m", "consumo.cli", "serve", "--host", "127.0.0.1", "--port", port], {
  cwd: backend,
  stdio: "inherit",
  env: {
    ...process.env,
    ENVIRONMENT: "development",
    EMBEDDED_DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(36).toString("base64url"),
    VALIDATE_RESPONSES: "true",
    // Many accounts are registered in a few seconds from one address.
    REGISTER_RATE_LIMIT: "1000/minute",
    LOGIN_RATE_LIMIT: "1000/minute",
    // A cheaper argon2id: the tests check behaviour, not password-hashing cost.
    ARGON2_TIME_COST: "1",
    ARGON2_MEMORY_COST_KIB: "8192",
    ARGON2_PARALLELISM: "1",
    LOG_LEVEL: "WARNING",
  },
});

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  api.kill(signal);
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => stop(signal));
spawn(process.execPath, [new URL(import.meta.url).pathname, "--reap", String(process.pid), dataDir], {
  detached: true,
  stdio: "ignore",
}).unref();

api.on("exit", async (code) => {
  await cleanUp(dataDir);
  process.exit(stopping ? 0 : (code ?? 1));
});
