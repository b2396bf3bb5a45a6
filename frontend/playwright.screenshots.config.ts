import { defineConfig } from "@playwright/test";

import base from "./playwright.config";

// `make screenshots`: the end-to-end setup (real API, production build), running only
// e2e/screenshots.ts, which is not a test of `make test`.
export default defineConfig({ ...base, testMatch: "screenshots.ts", reporter: [["list"]] });
