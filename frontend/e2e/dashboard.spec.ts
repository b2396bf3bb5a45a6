import { expect, test, type APIRequestContext, type Browser, type Page } from "@playwright/test";

import { loginViaUi, PASSWORD, screenshot, uniqueUser } from "./helpers";

interface Seeded {
  username: string;
  token: string;
  timeZone: string;
}

/** A fresh account, created and logged in through the API (no UI needed to seed data). */
async function seedUser(request: APIRequestContext, prefix: string): Promise<Seeded> {
  const user = uniqueUser(prefix);
  const registered = await request.post("/api/v1/auth/register", { data: { ...user, password: PASSWORD } });
  expect(registered.status()).toBe(201);
  const login = await request.post("/api/v1/auth/login", { data: { username: user.username, password: PASSWORD } });
  expect(login.status()).toBe(200);
  const body = (await login.json()) as { access_token: string; user: { tenant: { time_zone: string } } };
  return { username: user.username, token: body.access_token, timeZone: body.user.tenant.time_zone };
}

async function createRecord(
  request: APIRequestContext,
  seeded: Seeded,
  record: { kind: string; quantity: number; period_start: string; period_end: string; cost_minor?: number; currency?: string },
) {
  const response = await request.post("/api/v1/consumptions", {
    data: record,
    headers: { Authorization: `Bearer ${seeded.token}`, "Idempotency-Key": crypto.randomUUID() },
  });
  expect(response.status(), await response.text()).toBe(201);
}

/** The current month in the tenant's time zone, first and last day. */
function currentMonth(timeZone: string): { first: string; last: string } {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  const [year, month] = today.split("-").map(Number) as [number, number];
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const prefix = today.slice(0, 8);
  return { first: `${prefix}01`, last: `${prefix}${String(lastDay).padStart(2, "0")}` };
}

const card = (page: Page, kind: string) => page.getByRole("region", { name: kind, exact: true });

// Hand-made data with known totals for 1 Jan – 31 Mar 2025: 100 kWh in January; 31 m³ of water
// billed 15 Jan – 14 Feb (1 m³ a day: 17 in January, 14 in February); and an electricity bill in
// May, outside the range, that must not count.
async function seedQuarter(request: APIRequestContext, seeded: Seeded) {
  await createRecord(request, seeded, {
    kind: "electricity",
    quantity: 100,
    period_start: "2025-01-01",
    period_end: "2025-01-31",
    cost_minor: 2500,
    currency: "EUR",
  });
  await createRecord(request, seeded, { kind: "water", quantity: 31, period_start: "2025-01-15", period_end: "2025-02-14", cost_minor: 6200, currency: "EUR" });
  await createRecord(request, seeded, {
    kind: "electricity",
    quantity: 50,
    period_start: "2025-05-01",
    period_end: "2025-05-31",
    cost_minor: 1000,
    currency: "EUR",
  });
}

const QUARTER = "/dashboard?range=custom&from=2025-01-01&to=2025-03-31";

test("the dashboard shows the exact totals of seeded records and draws its charts", async ({ page, request }) => {
  const seeded = await seedUser(request, "dash");
  await seedQuarter(request, seeded);
  await loginViaUi(page, seeded.username);

  await page.goto(QUARTER);
  await expect(page.getByRole("heading", { name: "Dashboard", level: 1 })).toBeVisible();
  await expect(page.getByRole("button", { name: "Custom" })).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByLabel("From", { exact: true })).toHaveValue("2025-01-01");
  await expect(page.getByLabel("To", { exact: true })).toHaveValue("2025-03-31");

  // The cards: one per kind, in its own unit, never added together.
  const electricity = card(page, "Electricity");
  await expect(electricity.getByTestId("kpi-quantity")).toHaveText("100 kWh");
  await expect(electricity.getByTestId("kpi-cost")).toHaveText("€25.00");
  await expect(electricity).toContainText("Records: 1");
  const water = card(page, "Water");
  await expect(water.getByTestId("kpi-quantity")).toHaveText("31 m³");
  await expect(water.getByTestId("kpi-cost")).toHaveText("€62.00");
  // Nothing was recorded in the previous 90 days nor a year earlier.
  await expect(water).toContainText("nothing to compare");
  await expect(card(page, "Gas")).toHaveCount(0);

  // Per-kind monthly bars: the water bill is spread over the months by its days.
  const waterMonths = page.getByRole("img", { name: /^Water per month in m³/ });
  await expect(waterMonths).toHaveAttribute("aria-label", "Water per month in m³: Jan 2025 17 m³; Feb 2025 14 m³; Mar 2025 0 m³.");
  await expect(waterMonths.locator("svg .recharts-bar-rectangle path").first()).toBeVisible();
  await waterMonths.locator("svg .recharts-bar-rectangle").first().hover();
  await expect(waterMonths.locator(".recharts-tooltip-wrapper")).toContainText("Jan 2025Water17 m³");
  const electricityMonths = page.getByRole("img", { name: /^Electricity per month in kWh/ });
  await expect(electricityMonths).toHaveAttribute("aria-label", "Electricity per month in kWh: Jan 2025 100 kWh; Feb 2025 0 kWh; Mar 2025 0 kWh.");

  // Cost per month, stacked by kind (one currency), and the cost share donut.
  const costs = page.getByRole("img", { name: /^Cost per month in EUR/ });
  await expect(costs).toHaveAttribute("aria-label", /Jan 2025: Electricity €25.00, Water €34.00; Feb 2025: Electricity €0.00, Water €28.00/);
  await expect(costs.locator("svg .recharts-bar-rectangle path").first()).toBeVisible();
  const shares = page.getByRole("img", { name: /^Share of the EUR cost by kind/ });
  await expect(shares).toHaveAttribute("aria-label", "Share of the EUR cost by kind: Electricity 28.7% (€25.00), Water 71.3% (€62.00).");
  await expect(shares.locator("svg .recharts-pie-sector").first()).toBeVisible();

  // The daily line for a chosen kind, with the choice kept in the URL.
  const daily = page.getByRole("img", { name: /^Electricity from/ });
  await expect(daily).toHaveAttribute("aria-label", /total 100 kWh/);
  await expect(daily.locator("svg .recharts-line-curve")).toBeVisible();
  await page.getByLabel("Kind", { exact: true }).selectOption({ label: "Water" });
  await expect(page).toHaveURL(/kind=water/);
  await expect(page.getByRole("img", { name: /^Water from/ })).toHaveAttribute("aria-label", /total 31 m³, highest 1 m³/);

  // Presets rewrite the URL; the address alone restores the range.
  await page.getByRole("button", { name: "Last 12 months" }).click();
  await expect(page).toHaveURL(/range=last_12_months/);
  await expect(page).not.toHaveURL(/from=/);
  await page.goto(QUARTER);
  await expect(card(page, "Water").getByTestId("kpi-quantity")).toHaveText("31 m³");
});

test("a budget shows progress and warns when the month's projection exceeds it; new records appear without a reload", async ({ page, request }) => {
  const seeded = await seedUser(request, "budget");
  const month = currentMonth(seeded.timeZone);
  // 100 kWh spread over the whole current month: the projection to month end is 100 kWh.
  await createRecord(request, seeded, {
    kind: "electricity",
    quantity: 100,
    period_start: month.first,
    period_end: month.last,
    cost_minor: 3000,
    currency: "EUR",
  });
  await loginViaUi(page, seeded.username);
  await page.goto("/dashboard?range=this_month");
  await expect(page.getByRole("button", { name: "This month" })).toHaveAttribute("aria-pressed", "true");
  const electricity = card(page, "Electricity");
  await expect(electricity).toContainText("No monthly budget");

  // The budgets editor is folded under its button, below the figures.
  await page.getByRole("button", { name: "Edit budgets" }).click();
  const budgets = page.getByRole("form", { name: "Monthly budgets" });
  await budgets.getByLabel("Electricity: Quantity limit (kWh)").fill("80");
  await budgets.getByRole("button", { name: "Save budgets" }).click();
  await expect(page.getByText("Budgets saved.")).toBeVisible();
  const bar = electricity.getByRole("progressbar", { name: "Budget 80 kWh" });
  await expect(bar).toHaveAttribute("aria-valuetext", /125% projected by month end/);
  // Late in the month the 100 kWh so far already exceed the 80 kWh: it then says "over", not "projected to go over".
  const usedPct = Number(/^([\d.]+)% used/.exec((await bar.getAttribute("aria-valuetext")) ?? "")?.[1]);
  expect(usedPct).toBeGreaterThan(0);
  await expect(electricity.getByRole("status")).toHaveText(usedPct > 100 ? "Over budget this month" : "Projected to go over budget this month");
  await electricity.screenshot({ path: "test-results/screenshots/dashboard-budget-card.png" });

  // The API keeps what the form sent.
  const saved = await request.get("/api/v1/budgets", { headers: { Authorization: `Bearer ${seeded.token}` } });
  expect(await saved.json()).toMatchObject({ items: [{ kind: "electricity", quantity_limit: 80 }] });

  // A record made elsewhere shows up while the page is open (gentle polling).
  await createRecord(request, seeded, { kind: "gas", quantity: 12, period_start: month.first, period_end: month.first });
  await expect(card(page, "Gas").getByTestId("kpi-quantity")).toHaveText("12 m³", { timeout: 15_000 });
});

async function shoot(browser: Browser, username: string, locale: "en-GB" | "es-ES", colorScheme: "light" | "dark") {
  const context = await browser.newContext({ locale, colorScheme });
  const page = await context.newPage();
  await page.goto("/login");
  await page.locator("input[autocomplete=username]").fill(username);
  await page.locator("input[type=password]").fill(PASSWORD);
  await page.locator("form button[type=submit]").click();
  await expect(page).toHaveURL(/\/consumptions$/);
  await page.goto(QUARTER);
  // Charts are drawn once their container is measured, which needs the page in front.
  await page.bringToFront();
  await expect(page.locator("svg .recharts-pie-sector").first()).toBeVisible({ timeout: 20_000 });
  await expect(page.locator("svg .recharts-line-curve")).toBeVisible();
  await screenshot(page, `dashboard-${locale.slice(0, 2)}-${colorScheme}`);
  await context.close();
}

test("screenshots of the dashboard in both languages and both themes", async ({ browser, request }) => {
  test.setTimeout(120_000);
  const seeded = await seedUser(request, "dashshots");
  await seedQuarter(request, seeded);
  await createRecord(request, seeded, {
    kind: "mobile_data",
    quantity: 8192,
    period_start: "2025-02-01",
    period_end: "2025-02-28",
    cost_minor: 1500,
    currency: "EUR",
  });
  await createRecord(request, seeded, {
    kind: "gas",
    quantity: 51.333,
    period_start: "2025-02-15",
    period_end: "2025-03-14",
    cost_minor: 4890,
    currency: "EUR",
  });
  await createRecord(request, seeded, { kind: "electricity", quantity: 90, period_start: "2024-01-01", period_end: "2024-01-31" });
  await request.put("/api/v1/budgets", {
    data: { items: [{ kind: "electricity", quantity_limit: 150, cost_limit_minor: 4000, currency: "EUR" }] },
    headers: { Authorization: `Bearer ${seeded.token}` },
  });
  for (const locale of ["en-GB", "es-ES"] as const) {
    for (const scheme of ["light", "dark"] as const) {
      await shoot(browser, seeded.username, locale, scheme);
    }
  }
});
