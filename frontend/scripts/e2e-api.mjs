// Starts the real API for the end-to-end tests on a throwaway embedded PostgreSQL: a fresh temp
// folder per run, removed when Playwright stops this process.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
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

const apiEnv = {
  ...process.env,
  ENVIRONMENT: "development",
  EMBEDDED_DATA_DIR: dataDir,
  // One secret for the whole run: sessions outlive a stop and start of the API (outage tests).
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
  // Files over 8 KiB (not 1 MiB) are stored and checked by the worker: the wizard's job path with a small file.
  IMPORT_INLINE_BYTES: "8192",
};

let api = null;
let stopping = false;

function startApi() {
  const child = spawn(join(backend, ".venv/bin/python"), ["-m", "consumo.cli", "serve", "--host", "127.0.0.1", "--port", port], {
    cwd: backend,
    stdio: "inherit",
    env: apiEnv,
  });
  child.on("exit", async (code) => {
    // A stop asked for through the control port (an outage test) is not the end of the run.
    if (child.outage) return;
    await cleanUp(dataDir);
    process.exit(stopping ? 0 : (code ?? 1));
  });
  api = child;
}

async function ready() {
  for (let i = 0; i < 600; i++) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/ready`);
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

function stop(signal) {
  if (stopping) return;
  stopping = true;
  if (api && api.exitCode === null && api.signalCode === null) api.kill(signal);
  else void cleanUp(dataDir).then(() => process.exit(0));
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => stop(signal));
spawn(process.execPath, [new URL(import.meta.url).pathname, "--reap", String(process.pid), dataDir], {
  detached: true,
  stdio: "ignore",
}).unref();

startApi();

// The job worker (an import's large commit or revert, webhook deliveries), on the same database,
// once the API has migrated it; stopped with the harness.
let worker = null;
void ready().then((up) => {
  if (!up || stopping) return;
  worker = spawn(join(backend, ".venv/bin/python"), ["-m", "consumo.cli", "worker"], {
    cwd: backend,
    stdio: "inherit",
    env: apiEnv,
  });
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill("SIGTERM");
  });
}

// The outage tests stop and start this API (only the process this harness started, on the same
// database and secret) through a control port on 127.0.0.1: POST /stop, then POST /start.
const controlPort = Number(process.env.E2E_API_CONTROL_PORT ?? Number(port) + 1);
createServer(async (request, response) => {
  if (request.method === "POST" && request.url === "/stop") {
    const child = api;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.outage = true;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    response.writeHead(204).end();
  } else if (request.method === "POST" && request.url === "/start") {
    if (!api || api.exitCode !== null || api.signalCode !== null) startApi();
    response.writeHead((await ready()) ? 204 : 503).end();
  } else {
    response.writeHead(404).end();
  }
}).listen(controlPort, "127.0.0.1");
