import { expect, test, type APIRequestContext } from "@playwright/test";

import { loginViaUi, PASSWORD, uniqueUser } from "./helpers";

// The list's totals for its filters, overlapping records badged and filtered, and the dashboard's
// notice linking to them: against the real API, at a desktop's and a phone's width.

async function seed(request: APIRequestContext): Promise<string> {
  const user = uniqueUser("overlap");
  expect((await request.post("/api/v1/auth/register", { data: { ...user, password: PASSWORD } })).status()).toBe(201);
  const login = await request.post("/api/v1/auth/login", { data: { username: user.username, password: PASSWORD } });
  const { access_token: token } = (await login.json()) as { access_token: string };
  for (const record of [
    { kind: "electricity", quantity: 100, period_start: "2025-01-01", period_end: "2025-01-31", cost_minor: 2000, currency: "EUR", notes: "January bill" },
    { kind: "electricity", quantity: 50.5, period_start: "2025-01-16", period_end: "2025-02-14", cost_minor: 1000, currency: "EUR", notes: "Readings" },
    { kind: "water", quantity: 3.25, period_start: "2025-01-01", period_end: "2025-02-28", notes: "Water" },
  ]) {
    const created = await request.post("/api/v1/consumptions", { data: record, headers: { Authorization: `Bearer ${token}` } });
    expect(created.status(), await created.text()).toBe(201);
  }
  return user.username;
}

test("the list totals its filtered records and badges the overlapping ones; the dashboard links to them", async ({ page, request }) => {
  const username = await seed(request);
  await loginViaUi(page, username);

  const summary = page.getByTestId("list-summary");
  await expect(summary).toHaveText("3 records · 150.5 kWh · 3.25 m³ · €30.00 · 1 without cost");
  // The two electricity records share 16–31 January: both are badged, the water record is not.
  const badges = page.getByRole("link", { name: /^Overlaps 1 other record/ });
  await expect(badges).toHaveCount(2);
  await expect(page.getByRole("row", { name: /Water/ }).getByRole("link", { name: /^Overlaps/ })).toHaveCount(0);

  // A badge opens the overlapping records of its period, and the totals follow the filters.
  await badges.first().click();
  await expect(page).toHaveURL(/overlapping=true/);
  await expect(page.getByLabel("Overlaps", { exact: true })).toHaveValue("true");
  await expect(summary).toHaveText("2 records · 150.5 kWh · €30.00");
  await page.getByRole("button", { name: "Clear filters" }).click();
  await expect(summary).toHaveText("3 records · 150.5 kWh · 3.25 m³ · €30.00 · 1 without cost");
  await page.getByLabel("Overlaps", { exact: true }).selectOption("false");
  await expect(summary).toHaveText("1 record · 3.25 m³ · 1 without cost");
  // Back undoes the filter, as every filter change does.
  await page.goBack();
  await expect(summary).toHaveText("3 records · 150.5 kWh · 3.25 m³ · €30.00 · 1 without cost");

  await page.goto("/dashboard?range=custom&from=2025-01-01&to=2025-12-31");
  const notice = page.getByRole("alert").filter({ hasText: "overlap others" });
  await expect(notice).toContainText("2 records in this range overlap others of the same kind and meter");
  await notice.getByRole("link", { name: "Show them" }).click();
  await expect(page).toHaveURL(/\/consumptions\?from=2025-01-01&to=2025-12-31&overlapping=true$/);
  await expect(summary).toHaveText("2 records · 150.5 kWh · €30.00");

  // On a phone the records are cards: the totals and the badges are still there, within the width.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/consumptions");
  await expect(summary).toHaveText("3 records · 150.5 kWh · 3.25 m³ · €30.00 · 1 without cost");
  await expect(page.getByRole("link", { name: /^Overlaps 1 other record/ })).toHaveCount(2);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(390);

  // In Spanish, the same figures in the UI's words and numbers.
  await page.getByRole("button", { name: "Menu" }).click();
  await page.getByRole("combobox", { name: "Language" }).filter({ visible: true }).selectOption("es");
  await expect(summary).toHaveText("3 registros · 150,5 kWh · 3,25 m³ · 30,00 € · 1 sin coste");
  await expect(page.getByRole("link", { name: /^Se solapa con 1 registro/ })).toHaveCount(2);
});
