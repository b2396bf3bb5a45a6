import AxeBuilder from "@axe-core/playwright";
import { expect, test, type APIRequestContext, type Browser, type Page } from "@playwright/test";

import { loginViaUi, PASSWORD, uniqueUser } from "./helpers";

// Every page of the app, at a phone's 390 px and a desktop's 1280 px, in both themes: nothing is
// wider than the screen, and axe-core finds no serious or critical accessibility violation.

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 860 };

interface Seeded {
  username: string;
  recordId: string;
  readingRecordId: string;
  meterId: string;
  lineId: string;
  invitationToken: string;
}

async function post(request: APIRequestContext, token: string, path: string, data: unknown): Promise<{ id: string; consumption_id?: string }> {
  const response = await request.post(`/api/v1${path}`, {
    data,
    headers: { Authorization: `Bearer ${token}`, "Idempotency-Key": crypto.randomUUID() },
  });
  expect(response.status(), await response.text()).toBe(201);
  return (await response.json()) as { id: string };
}

/** An account with something on every page: records, a meter with readings and a tariff, a line with a top-up, a budget. */
async function seed(request: APIRequestContext): Promise<Seeded> {
  const user = uniqueUser("pages");
  expect((await request.post("/api/v1/auth/register", { data: { ...user, password: PASSWORD } })).status()).toBe(201);
  const login = await request.post("/api/v1/auth/login", { data: { username: user.username, password: PASSWORD } });
  const { access_token: token } = (await login.json()) as { access_token: string };

  const record = await post(request, token, "/consumptions", {
    kind: "electricity",
    quantity: 182.5,
    period_start: "2025-10-01",
    period_end: "2025-10-31",
    cost_minor: 4215,
    currency: "EUR",
    notes: "A rather long note about the October bill, to see that it never widens a phone's screen",
  });
  await post(request, token, "/consumptions", { kind: "mobile_data", quantity: 8192, period_start: "2025-11-01", period_end: "2025-11-30" });
  const meter = await post(request, token, "/meters", { kind: "electricity", name: "Kitchen meter with a long name", identifier: "ES0021000000000001XY", monthly_budget_minor: 6000 });
  await post(request, token, `/meters/${meter.id}/tariffs`, { valid_from: "2025-01-01", unit_price_minor: 15.23, fixed_daily_minor: 12.5 });
  await post(request, token, `/meters/${meter.id}/readings`, { date: "2025-09-01", index_value: 1000 });
  await post(request, token, `/meters/${meter.id}/readings`, { date: "2025-10-01", index_value: 1250.5 });
  const readings = await request.get(`/api/v1/meters/${meter.id}/readings`, { headers: { Authorization: `Bearer ${token}` } });
  const derived = ((await readings.json()) as { items: Array<{ consumption_id: string | null }> }).items.find((reading) => reading.consumption_id);
  expect(derived?.consumption_id).toBeTruthy();
  const line = await post(request, token, "/meters", {
    kind: "mobile_line",
    name: "My phone",
    identifier: "+34612345678",
    plan: { data_mb: 10240, voice_minutes: 300, sms: 100, cycle_start_day: 1, data_mb_price_minor: 1, voice_minute_price_minor: 5, sms_price_minor: 10 },
  });
  await post(request, token, `/meters/${line.id}/top-ups`, { amount_minor: 1000 });
  const budgets = await request.put("/api/v1/budgets", {
    data: { items: [{ kind: "electricity", quantity_limit: 150, cost_limit_minor: 4000, currency: "EUR" }] },
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(budgets.status()).toBe(200);
  await post(request, token, "/user/tokens", { name: "Home Assistant on the kitchen Raspberry Pi", scopes: ["read"], expires_at: null });
  await post(request, token, "/webhooks", {
    url: "https://hooks.example.invalid/a/rather/long/path/for/the/erp/receiver",
    event_types: ["consumption.created", "meter.created"],
    description: "ERP sync",
  });
  const invitation = await request.post("/api/v1/tenant/invitations", {
    data: { email: `${uniqueUser("guest").username}@example.com`, role: "viewer" },
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(invitation.status()).toBe(201);
  const { token: invitationToken } = (await invitation.json()) as { token: string };
  return { username: user.username, recordId: record.id, readingRecordId: derived?.consumption_id ?? "", meterId: meter.id, lineId: line.id, invitationToken };
}

interface PageCheck {
  name: string;
  path: string;
  /** Signed in first? */
  app: boolean;
  /** What shows the page has finished loading. */
  ready: (page: Page) => Promise<void>;
}

const h1 = (name: string | RegExp) => async (page: Page) => {
  await expect(page.getByRole("heading", { name, level: 1 })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: /^Loading/ })).toHaveCount(0);
};

function pages(seeded: Seeded): PageCheck[] {
  return [
    { name: "login", path: "/login", app: false, ready: h1("Log in") },
    { name: "register", path: "/register", app: false, ready: h1("Create your account") },
    { name: "not-found", path: "/no-such-page", app: false, ready: h1("Page not found") },
    {
      name: "dashboard",
      path: "/dashboard?range=custom&from=2025-01-01&to=2025-12-31",
      app: true,
      ready: async (page) => {
        await h1("Dashboard")(page);
        await expect(page.getByRole("region", { name: "Electricity", exact: true }).getByTestId("kpi-quantity")).toBeVisible();
        await expect(page.locator("svg .recharts-line-curve")).toBeVisible();
      },
    },
    {
      name: "records",
      path: "/consumptions",
      app: true,
      ready: async (page) => {
        await h1("Consumptions")(page);
        await expect(page.getByRole("link", { name: /^Edit record of/ }).first()).toBeVisible();
      },
    },
    { name: "new-record", path: "/consumptions/new", app: true, ready: h1("New record") },
    {
      name: "edit-record",
      path: `/consumptions/${seeded.recordId}`,
      app: true,
      ready: async (page) => {
        await h1("Edit record")(page);
        await expect(page.getByLabel("Quantity")).not.toHaveValue("");
      },
    },
    { name: "reading-record", path: `/consumptions/${seeded.readingRecordId}`, app: true, ready: h1("Edit record") },
    { name: "record-not-found", path: "/consumptions/not-a-uuid", app: true, ready: h1("Record not found") },
    {
      name: "meters",
      path: "/meters",
      app: true,
      ready: async (page) => {
        await h1("Meters and lines")(page);
        await expect(page.getByRole("link", { name: "My phone" }).first()).toBeVisible();
      },
    },
    {
      name: "meter",
      path: `/meters/${seeded.meterId}`,
      app: true,
      ready: async (page) => {
        await h1("Kitchen meter with a long name")(page);
        await expect(page.getByRole("heading", { name: "Tariffs" })).toBeVisible();
      },
    },
    {
      name: "line",
      path: `/meters/${seeded.lineId}`,
      app: true,
      ready: async (page) => {
        await h1("My phone")(page);
        await expect(page.getByTestId("line-balance")).toHaveText("€10.00");
      },
    },
    {
      name: "profile",
      path: "/profile",
      app: true,
      ready: async (page) => {
        await h1("Profile")(page);
        await expect(page.getByText("Home Assistant on the kitchen Raspberry Pi")).toBeVisible();
      },
    },
    {
      name: "webhooks",
      path: "/webhooks",
      app: true,
      ready: async (page) => {
        await h1("Webhooks")(page);
        await expect(page.getByRole("heading", { name: /hooks\.example\.invalid/ })).toBeVisible();
      },
    },
    { name: "imports", path: "/imports", app: true, ready: h1("Import records") },
    {
      name: "team",
      path: "/team",
      app: true,
      ready: async (page) => {
        await h1("Team")(page);
        await expect(page.getByText("Pending invitations")).toBeVisible();
      },
    },
    { name: "organisation", path: "/organisation", app: true, ready: h1("Organisation") },
    {
      name: "activity",
      path: "/activity",
      app: true,
      ready: async (page) => {
        await h1("Activity")(page);
        await expect(page.getByRole("list", { name: "Activity" }).getByRole("listitem").first()).toBeVisible();
      },
    },
    {
      name: "accept-invitation",
      path: `/accept-invitation#token=${seeded.invitationToken}`,
      app: false,
      ready: async (page) => {
        await h1("Join an organisation")(page);
        await expect(page.getByLabel("Username")).toBeVisible();
      },
    },
  ];
}

async function documentWidth(page: Page): Promise<{ document: number; viewport: number }> {
  return page.evaluate(() => ({
    document: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    viewport: window.innerWidth,
  }));
}

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => `${node.target.join(" ")} — ${node.failureSummary ?? ""}`).join(" | ")}`);
}

async function checkEveryPage(browser: Browser, seeded: Seeded, colorScheme: "light" | "dark") {
  // Signed out for the public pages (signed in, they send you on), signed in for the others.
  const anonymous = await (await browser.newContext({ colorScheme, viewport: PHONE })).newPage();
  const context = await browser.newContext({ colorScheme, viewport: PHONE });
  const page = await context.newPage();
  await loginViaUi(page, seeded.username);
  const problems: string[] = [];
  for (const viewport of [PHONE, DESKTOP]) {
    await page.setViewportSize(viewport);
    await anonymous.setViewportSize(viewport);
    for (const check of pages(seeded)) {
      const tab = check.app ? page : anonymous;
      await tab.goto(check.path);
      await check.ready(tab);
      await expect(tab.locator("html")).toHaveClass(colorScheme === "dark" ? /\bdark\b/ : /\blight\b/);
      const label = `${check.name} at ${viewport.width} px, ${colorScheme}`;
      const width = await documentWidth(tab);
      expect(width.document, `${label}: the page is wider than the screen`).toBeLessThanOrEqual(width.viewport);
      if (check.app && viewport === DESKTOP) {
        // The desktop header is one row: "Log out" does not wrap, the links and it share a line.
        const logout = await tab.getByRole("button", { name: "Log out" }).boundingBox();
        const links = await tab.getByRole("navigation", { name: "Main" }).boundingBox();
        expect(logout?.height ?? 0, `${label}: "Log out" wraps`).toBeLessThan(44);
        expect(Math.abs((logout?.y ?? 0) + (logout?.height ?? 0) / 2 - ((links?.y ?? 0) + (links?.height ?? 0) / 2)), `${label}: the header is not one row`).toBeLessThan(12);
      }
      if (viewport === PHONE) {
        await tab.screenshot({ path: `test-results/screenshots/390-${colorScheme}-${check.name}.png`, fullPage: true });
      }
      for (const violation of await seriousViolations(tab)) problems.push(`${label}: ${violation}`);
    }
  }
  await anonymous.context().close();
  // The phone menu, opened, fits the screen and passes too.
  await page.setViewportSize(PHONE);
  await page.goto("/consumptions");
  await h1("Consumptions")(page);
  await page.getByRole("button", { name: "Menu" }).click();
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Consumptions" })).toHaveAttribute("aria-current", "page");
  const width = await documentWidth(page);
  expect(width.document, "the open menu is wider than the screen").toBeLessThanOrEqual(width.viewport);
  for (const violation of await seriousViolations(page)) problems.push(`menu at 390 px, ${colorScheme}: ${violation}`);
  await page.screenshot({ path: `test-results/screenshots/390-${colorScheme}-menu.png` });
  await context.close();
  expect(problems, problems.join("\n")).toEqual([]);
}

test.describe("every page at 390 px and 1280 px", () => {
  let seeded: Seeded;
  test.beforeAll(async ({ request }) => {
    seeded = await seed(request);
  });

  for (const colorScheme of ["light", "dark"] as const) {
    test(`fits a phone's width and has no serious accessibility violation, ${colorScheme} theme`, async ({ browser }) => {
      test.setTimeout(240_000);
      await checkEveryPage(browser, seeded, colorScheme);
    });
  }
});

test("the phone menu opens, shows the page you are on, and closes when you follow a link", async ({ browser, request }) => {
  const seededUser = uniqueUser("menu");
  expect((await request.post("/api/v1/auth/register", { data: { ...seededUser, password: PASSWORD } })).status()).toBe(201);
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  await loginViaUi(page, seededUser.username);
  // No row of links is cut at the edge: they are behind the menu button.
  await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);
  const menu = page.getByRole("button", { name: "Menu" });
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  await menu.click();
  await expect(menu).toHaveAttribute("aria-expanded", "true");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Consumptions" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("button", { name: "Log out" })).toBeVisible();
  await nav.getByRole("link", { name: "Meters" }).click();
  await expect(page.getByRole("heading", { name: "Meters and lines", level: 1 })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  await context.close();
});
