import { defineConfig, devices } from "@playwright/test";

// End-to-end: the real API on a throwaway database and the production build of the app, in the
// system Chromium (no browser download). `make frontend-e2e` builds the app first. Two runs on one
// machine pick other ports with E2E_API_PORT and E2E_WEB_PORT (the build bakes in the API's).
const API_PORT = Number(process.env.E2E_API_PORT ?? 18000);
const WEB_PORT = Number(process.env.E2E_WEB_PORT ?? 13000);
export const BASE_URL = `http://localhost:${WEB_PORT}`;

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results/artifacts",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  // One retry in CI only: a test that needed it is reported as "flaky" in the output (and must be
  // fixed), while one that fails twice still fails the run. Locally every failure shows at once.
  retries: process.env.CI ? 1 : 0,
  reporter: [["list"], ["html", { outputFolder: "playwright-report", open: "never" }]],
  use: {
    baseURL: BASE_URL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    locale: "en-GB",
    timezoneId: "America/Los_Angeles",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        viewport: { width: 1280, height: 860 },
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-quic",
          ],
        },
      },
    },
  ],
  webServer: [
    {
      command: "node scripts/e2e-api.mjs",
      env: { E2E_API_PORT: String(API_PORT) },
      url: `http://127.0.0.1:${API_PORT}/api/v1/ready`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: "ignore",
      stderr: "pipe",
      // Let the harness stop the API and its PostgreSQL and delete the temp folder.
      gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
    },
    {
      command: `next start --port ${WEB_PORT}`,
      env: { NEXT_DIST_DIR: ".next-e2e" },
      url: `${BASE_URL}/login`,
      timeout: 120_000,
      reuseExistingServer: false,
      gracefulShutdown: { signal: "SIGTERM", timeout: 5_000 },
    },
  ],
});
