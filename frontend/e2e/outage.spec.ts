import { expect, test, type APIRequestContext, type Page } from "@playwright/test";

import { loginViaUi, PASSWORD, startApi, stopApi, uniqueUser } from "./helpers";

// The API really stops (the harness's process, through its control port) and starts again on
// the same database, mid-test. Whatever happens, the API is running again when a test ends.

test.describe.configure({ mode: "serial" });

test.afterEach(async ({ request }) => {
  await startApi(request);
});

async function seedUser(request: APIRequestContext, prefix: string) {
  const user = uniqueUser(prefix);
  expect((await request.post("/api/v1/auth/register", { data: { ...user, password: PASSWORD } })).status()).toBe(201);
  const login = await request.post("/api/v1/auth/login", { data: { username: user.username, password: PASSWORD } });
  const body = (await login.json()) as { access_token: string; user: { tenant: { time_zone: string } } };
  return { username: user.username, token: body.access_token, timeZone: body.user.tenant.time_zone };
}

/**
 * The first day of the month `monthsBack` months before today's, in the tenant's time zone. The
 * first, because the dashboard's ranges end today: any later day of this month is in the future
 * early in the month, and falls outside every range.
 */
function dayMonthsBack(timeZone: string, monthsBack: number): string {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  const [year, month] = today.split("-").map(Number) as [number, number];
  const index = year * 12 + (month - 1) - monthsBack;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}-01`;
}

const electricity = (page: Page) => page.getByRole("region", { name: "Electricity", exact: true });

test("with the API stopped, a new range shows its error state and never the old range's figures; it recovers by itself", async ({ page, request }) => {
  test.setTimeout(120_000);
  const seeded = await seedUser(request, "outage");
  // 100 kWh six months ago and 10 kWh on the first of this month: the last 12 months hold 110 kWh, the last 3 only 10.
  for (const [monthsBack, quantity] of [
    [6, 100],
    [0, 10],
  ] as const) {
    const day = dayMonthsBack(seeded.timeZone, monthsBack);
    const created = await request.post("/api/v1/consumptions", {
      data: { kind: "electricity", quantity, period_start: day, period_end: day },
      headers: { Authorization: `Bearer ${seeded.token}`, "Idempotency-Key": crypto.randomUUID() },
    });
    expect(created.status()).toBe(201);
  }
  await loginViaUi(page, seeded.username);
  await page.goto("/dashboard?range=last_12_months");
  await expect(electricity(page).getByTestId("kpi-quantity")).toHaveText("110 kWh");

  await stopApi(request);
  await page.getByRole("button", { name: "Last 3 months" }).click();
  await expect(page.getByRole("button", { name: "Last 3 months" })).toHaveAttribute("aria-pressed", "true");
  // The cards say they could not load this range; the 12-month figures are gone, not relabelled.
  const cards = page.getByRole("region", { name: "Totals per kind" });
  await expect(cards.getByRole("alert")).toContainText("The figures could not be loaded", { timeout: 20_000 });
  await expect(page.getByTestId("kpi-quantity")).toHaveCount(0);
  await expect(page.getByText("110 kWh")).toHaveCount(0);
  // It stays that way while the polls keep failing (no flicker back to the old figures).
  for (let i = 0; i < 4; i++) {
    await page.waitForTimeout(2_000);
    await expect(page.getByTestId("kpi-quantity")).toHaveCount(0);
    await expect(page.getByText("110 kWh")).toHaveCount(0);
  }

  await startApi(request);
  // Without a reload, the polling brings the right range's figures.
  await expect(electricity(page).getByTestId("kpi-quantity")).toHaveText("10 kWh", { timeout: 30_000 });
  await expect(cards.getByRole("alert")).toHaveCount(0);
  await expect(page).toHaveURL(/range=last_3_months/);
});

test("while the API is down, the import wizard says it cannot reach Consumo, and carries on by itself when it is back", async ({ page, request }) => {
  test.setTimeout(120_000);
  const seeded = await seedUser(request, "importdown");
  await loginViaUi(page, seeded.username);
  await page.goto("/imports");
  // 60,000 rows (about 2.5 MB): the worker takes a few seconds to check them, and the page polls meanwhile.
  const rows = Array.from({ length: 60_000 }, (_, n) => `water,${(n % 90) + 1},2024-01-01,2024-01-01,,,row ${n}`).join("\n");
  const body = Buffer.from(`kind,quantity,period_start,period_end,cost,currency,notes\n${rows}\n`);
  await page.getByLabel("Choose a CSV file").setInputFiles({ name: "long.csv", mimeType: "text/csv", buffer: body });
  const uploaded = page.waitForResponse((response) => response.url().includes("/api/v1/imports") && response.request().method() === "POST");
  await page.getByRole("button", { name: "Check the file" }).click();
  expect((await (await uploaded).json()) as { state: string }).toMatchObject({ state: "validating" });
  await stopApi(request);

  const card = page
    .locator("section, div")
    .filter({ has: page.getByRole("heading", { name: "3. Check and record" }) })
    .last();
  await expect(card.getByRole("alert").filter({ hasText: "Consumo cannot be reached right now" })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByRole("progressbar", { name: "Checking progress" })).toBeVisible();

  await startApi(request);
  await expect(page.getByText("Ready to record").locator("..")).toContainText("60,000", { timeout: 60_000 });
  await expect(page.getByRole("alert").filter({ hasText: "Consumo cannot be reached right now" })).toHaveCount(0);
});

test("a reload with the API down says the service is unreachable (not signed out) and carries on when it is back", async ({ page, request }) => {
  test.setTimeout(120_000);
  const seeded = await seedUser(request, "reload");
  await loginViaUi(page, seeded.username);
  await page.goto("/consumptions?kind=water");
  await expect(page.getByRole("heading", { name: "Consumptions", level: 1 })).toBeVisible();

  await stopApi(request);
  await page.reload();
  await expect(page.getByRole("heading", { name: "Consumo cannot be reached right now", level: 1 })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByText("You are not signed out")).toBeVisible();
  await expect(page).toHaveURL(/\/consumptions\?kind=water$/);
  await page.waitForTimeout(3_000);
  // Still here after a few retries: never sent to the login page by an outage.
  await expect(page).toHaveURL(/\/consumptions\?kind=water$/);
  await expect(page.getByRole("button", { name: "Log in" })).toHaveCount(0);

  await startApi(request);
  await page.getByRole("button", { name: "Try now" }).click();
  await expect(page.getByRole("heading", { name: "Consumptions", level: 1 })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText(seeded.username, { exact: true })).toBeVisible();
  await expect(page).toHaveURL(/\/consumptions\?kind=water$/);
});

test("signed out (no session) still goes to the login page, with the API up", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/consumptions?kind=gas");
  await expect(page).toHaveURL(/\/login\?next=%2Fconsumptions%3Fkind%3Dgas$/);
  await expect(page.getByRole("heading", { name: "Log in", level: 1 })).toBeVisible();
  await expect(page.getByText("cannot be reached")).toHaveCount(0);
  await context.close();
});
