import { expect, test, type Browser, type Locator, type Page } from "@playwright/test";

import { createViaUi, PASSWORD, registerViaUi, screenshot, uniqueUser } from "./helpers";

// How en-GB writes 1 to 31 January 2026 (recent ICU puts thin spaces around the dash).
const JANUARY = /1\s?–\s?31 Jan 2026/;

/** Opens the meters page from the main navigation and adds a meter with the create form. */
async function addMeter(page: Page, meter: { kind: string; name: string; identifier: string; fill?: (page: Page) => Promise<void> }) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Meters" }).click();
  await expect(page.getByRole("heading", { name: "Meters and lines", level: 1 })).toBeVisible();
  await page.getByRole("button", { name: "Add a meter" }).first().click();
  const form = page.getByRole("form", { name: "New meter or line" });
  await form.getByLabel("Kind").selectOption({ label: meter.kind });
  await form.getByLabel("Name").fill(meter.name);
  await form.getByLabel(meter.kind === "Mobile line" ? "Phone number" : "Serial number").fill(meter.identifier);
  await meter.fill?.(page);
  await form.getByRole("button", { name: "Add meter" }).click();
  await expect(page.getByText("Meter added.").last()).toBeVisible();
  await expect(page).toHaveURL(/\/meters\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { name: meter.name, level: 1 })).toBeVisible();
}

async function valueOf(gauge: Locator): Promise<number> {
  return Number(await gauge.getAttribute("aria-valuenow"));
}

test("a mobile line with a plan: top up, simulate usage, and the gauges and balance move", async ({ page, request }) => {
  test.setTimeout(90_000);
  const user = uniqueUser("line");
  await registerViaUi(page, user);
  await addMeter(page, {
    kind: "Mobile line",
    name: "My phone",
    identifier: "+56912345678",
    fill: async (p) => {
      const plan = p.getByRole("group", { name: "Plan" });
      await plan.getByLabel("Data included (MB)").fill("200");
      await plan.getByLabel("Minutes included").fill("30");
      await plan.getByLabel("SMS included").fill("10");
      await plan.getByLabel("Cycle starts on day").fill("1");
      await plan.getByLabel(/^Price per extra MB/).fill("0.01");
      await plan.getByLabel(/^Price per extra minute/).fill("0.05");
      await plan.getByLabel(/^Price per extra SMS/).fill("0.10");
      await plan.getByLabel(/^Low-balance alert below/).fill("1");
      await p
        .getByRole("form", { name: "New meter or line" })
        .getByLabel(/^Monthly budget/)
        .fill("5");
    },
  });

  // The gauges start full, and the balance empty; nothing is spent of the €5.00 monthly budget.
  const budget = page.getByRole("progressbar", { name: "Budget €5.00" });
  await expect(budget).toHaveAttribute("aria-valuenow", "0");
  await expect(page.getByTestId("meter-budget-spent")).toHaveText("€0.00");
  const data = page.getByRole("meter", { name: "Mobile data left" });
  await expect(data).toHaveAttribute("aria-valuenow", "200");
  await expect(data).toHaveAttribute("aria-valuetext", "200 MB of 200 MB left");
  await expect(page.getByRole("meter", { name: "Voice left" })).toHaveAttribute("aria-valuenow", "30");
  await expect(page.getByRole("meter", { name: "SMS left" })).toHaveAttribute("aria-valuenow", "10");
  const balance = page.getByTestId("line-balance");
  await expect(balance).toHaveText("€0.00");

  // Top up €50.
  const topUp = page.getByRole("form", { name: "Top up" });
  await topUp.getByLabel("Amount (EUR)").fill("50");
  await topUp.getByRole("button", { name: "Top up" }).click();
  await expect(page.getByText("€50.00 added. The balance is now €50.00.")).toBeVisible();
  await expect(balance).toHaveText("€50.00");
  const history = page.getByRole("table", { name: "Top-up history" });
  await expect(history.getByRole("row")).toHaveCount(2);
  await expect(history.getByRole("row").nth(1)).toContainText("+€50.00");
  await screenshot(page, "meters-line-en-light-before");

  // One burst always uses some data (1–250 MB): the data gauge goes down at once.
  const simulate = page.getByRole("button", { name: "Simulate usage" });
  await simulate.click();
  await expect(page.getByText(/^Usage recorded/)).toBeVisible();
  await expect.poll(() => valueOf(data)).toBeLessThan(200);
  const records = page.getByRole("region", { name: "Records on this meter" });
  await expect(records.getByRole("row", { name: /Mobile data/ }).first()).toContainText("Simulated usage");

  // Once the 200 MB are used up, every burst is paid from the balance (1 cent per MB).
  for (let press = 0; press < 10 && (await balance.textContent()) === "€50.00"; press += 1) {
    await simulate.click();
    await expect(simulate).toBeEnabled();
  }
  await expect(balance).not.toHaveText("€50.00");
  await expect(page.getByTestId("line-spent")).not.toHaveText("€0.00");

  // Usage that arrives from elsewhere shows up on its own: the page polls while it is visible.
  const balanceBefore = await balance.textContent();
  const login = await request.post("/api/v1/auth/login", { data: { username: user.username, password: PASSWORD } });
  const { access_token: token } = (await login.json()) as { access_token: string };
  const meterId = new URL(page.url()).pathname.split("/").pop();
  const posted = await request.post(`/api/v1/meters/${meterId}/simulate`, {
    // An explicit charge: the balance moves by exactly 7 cents, whatever is left of the allowances.
    data: { data_mb: 1, cost_minor: 7 },
    headers: { Authorization: `Bearer ${token}`, "Idempotency-Key": crypto.randomUUID() },
  });
  expect(posted.status(), await posted.text()).toBe(201);
  await expect(balance).not.toHaveText(balanceBefore ?? "", { timeout: 10_000 });
  // The billing cycle starts on the 1st, so this month's spending against the budget is the
  // cycle's spending: the two figures meet once both have polled.
  const spent = page.getByTestId("line-spent");
  const budgetSpent = page.getByTestId("meter-budget-spent");
  await expect.poll(async () => (await budgetSpent.textContent()) === (await spent.textContent()), { timeout: 10_000 }).toBe(true);
  await expect(budgetSpent).not.toHaveText("€0.00");
  await expect(budget).not.toHaveAttribute("aria-valuetext", /^0% used/);
  await screenshot(page, "meters-line-en-light-after");
});

test("usage the balance cannot pay for is refused with the API's reason", async ({ page }) => {
  await registerViaUi(page, uniqueUser("broke"));
  // Nothing included and no balance: any burst costs money the line does not have.
  await addMeter(page, {
    kind: "Mobile line",
    name: "Empty line",
    identifier: "+34600000001",
    fill: async (p) => {
      const plan = p.getByRole("group", { name: "Plan" });
      await plan.getByLabel("Data included (MB)").fill("0");
      await plan.getByLabel("Minutes included").fill("0");
      await plan.getByLabel("SMS included").fill("0");
      await plan.getByLabel(/^Price per extra MB/).fill("0.01");
      await plan.getByLabel(/^Price per extra minute/).fill("0.01");
      await plan.getByLabel(/^Price per extra SMS/).fill("0.01");
    },
  });
  await page.getByRole("button", { name: "Simulate usage" }).click();
  const alert = page.getByRole("region", { name: "Simulate usage" }).getByRole("alert");
  await expect(alert).toContainText("The usage was not recorded: The allowances are used up and the balance (€0.00) pays for nothing.");
  await expect(page.getByTestId("line-balance")).toHaveText("€0.00");
});

test("a utility meter: a tariff and a pair of readings make a priced record; correcting a reading re-derives it", async ({ page }) => {
  test.setTimeout(90_000);
  await registerViaUi(page, uniqueUser("util"));
  await addMeter(page, { kind: "Electricity meter", name: "Home", identifier: "ES-0031-A" });

  // A tariff of €0.15 per kWh from 1 January.
  const tariffs = page.getByRole("region", { name: "Tariffs" });
  const tariffForm = tariffs.getByRole("form", { name: "Add a tariff" });
  await tariffForm.getByLabel("Valid from").fill("2026-01-01");
  await tariffForm.getByLabel("Price per kWh").fill("0.15");
  await tariffForm.getByRole("button", { name: "Add tariff" }).click();
  await expect(page.getByText("Tariff added; the records it covers were priced again.")).toBeVisible();
  await expect(tariffs.getByRole("row", { name: /1 Jan 2026/ })).toContainText("€0.15");

  // Two readings: 1,000 kWh on 1 January and 1,300 kWh on 1 February → 300 kWh in January.
  const readings = page.getByRole("region", { name: "Readings" });
  const enter = async (date: string, index: string) => {
    const form = readings.getByRole("form", { name: "Enter a reading" });
    await form.getByLabel("Date").fill(date);
    await form.getByLabel("Index (kWh)").fill(index);
    await form.getByRole("button", { name: "Save reading" }).click();
    await expect(page.getByText("Reading saved.").first()).toBeVisible();
  };
  await enter("2026-01-01", "1000");
  await enter("2026-02-01", "1300");
  await expect(readings.getByRole("row", { name: /1 Feb 2026/ })).toContainText("1,300 kWh");

  const records = page.getByRole("region", { name: "Records on this meter" });
  const january = records.getByRole("row", { name: JANUARY });
  await expect(january).toContainText("300 kWh");
  await expect(january).toContainText("€45.00");
  await expect(january).toContainText("tariff");
  await expect(january).toContainText("From readings");
  await screenshot(page, "meters-utility-en-light");

  // The derived record changes only through its readings: its page says so and offers no edit.
  await january.getByRole("link", { name: /^Open the record of/ }).click();
  await expect(page.getByText("This record comes from meter readings")).toBeVisible();
  await expect(page.getByLabel("Quantity")).toBeDisabled();
  await expect(page.getByRole("button", { name: "Delete", exact: true })).toHaveCount(0);
  await page.getByRole("link", { name: "Go to the meter" }).click();
  await expect(page.getByRole("heading", { name: "Home", level: 1 })).toBeVisible();

  // A lower index without "replaced" is refused, and the reason lands on the form.
  const form = readings.getByRole("form", { name: "Enter a reading" });
  await form.getByLabel("Date").fill("2026-03-01");
  await form.getByLabel("Index (kWh)").fill("900");
  await form.getByRole("button", { name: "Save reading" }).click();
  await expect(form.getByLabel("Index (kWh)")).toHaveAccessibleDescription(/does not go down/);
  await expect(form.getByLabel("Index (kWh)")).toHaveAttribute("aria-invalid", "true");

  // Correct the February reading: the record follows.
  await readings.getByRole("button", { name: "Edit the reading of 1 Feb 2026" }).click();
  const edit = readings.getByRole("form", { name: "Correct a reading" });
  await expect(edit.getByLabel("Index (kWh)")).toHaveValue("1300");
  await edit.getByLabel("Index (kWh)").fill("1310");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Reading corrected; the records around it were derived again.")).toBeVisible();
  await expect(records.getByRole("row", { name: JANUARY })).toContainText("310 kWh");
  await expect(records.getByRole("row", { name: JANUARY })).toContainText("€46.50");

  // The record list filtered by this meter (kept in the address) shows only the meter's records.
  const meterUrl = page.url();
  await createViaUi(page, { kind: "Gas", quantity: "12", start: "2026-01-01", end: "2026-01-31", notes: "Not on a meter" });
  await expect(page.getByRole("row", { name: /Not on a meter/ })).toBeVisible();
  await page.getByRole("search", { name: "Filters" }).getByLabel("Meter").selectOption({ label: "Home (ES-0031-A)" });
  await expect(page).toHaveURL(/meter_id=[0-9a-f-]{36}/);
  await expect(page.getByRole("row", { name: /Not on a meter/ })).toHaveCount(0);
  await expect(page.getByRole("row", { name: JANUARY })).toContainText("310 kWh");
  await page.reload();
  await expect(page.getByRole("row", { name: JANUARY })).toContainText("310 kWh");
  await expect(page.getByRole("row", { name: /Not on a meter/ })).toHaveCount(0);
  await page.goto(meterUrl);

  // Delete it, after confirming: the record it made goes too.
  await readings.getByRole("button", { name: "Delete the reading of 1 Feb 2026" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete this reading?" });
  await dialog.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByText("Reading deleted.")).toBeVisible();
  await expect(records.getByRole("row", { name: JANUARY })).toHaveCount(0);
});

test("meters are listed, edited with If-Match (a concurrent change offers a reload) and deleted after confirming", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await registerViaUi(page, uniqueUser("mlist"));
  await addMeter(page, { kind: "Water meter", name: "Garden tap", identifier: "W-77" });

  // Another tab renames it first.
  const other = await context.newPage();
  await other.goto(page.url());
  await other.getByRole("button", { name: "Edit", exact: true }).click();
  await other.getByRole("form", { name: "Edit meter" }).getByLabel("Name").fill("Garden");
  await other.getByRole("form", { name: "Edit meter" }).getByRole("button", { name: "Save" }).click();
  await expect(other.getByText("Meter saved.")).toBeVisible();
  await expect(other.getByRole("heading", { name: "Garden", level: 1 })).toBeVisible();

  await page.getByRole("button", { name: "Edit", exact: true }).click();
  const edit = page.getByRole("form", { name: "Edit meter" });
  await edit.getByLabel(/^Monthly budget/).fill("30");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Someone else changed this meter")).toBeVisible();
  await page.getByRole("button", { name: "Reload the meter" }).click();
  await expect(page.getByRole("heading", { name: "Garden", level: 1 })).toBeVisible();
  await expect(edit.getByLabel("Name")).toHaveValue("Garden");
  await expect(edit.getByLabel(/^Monthly budget/)).toBeEnabled();
  await edit.getByLabel(/^Monthly budget/).fill("30");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Meter saved.")).toBeVisible();
  // Its budget shows on its page, and on the dashboard filtered by it.
  await expect(page.getByRole("progressbar", { name: "Budget €30.00" })).toHaveAttribute("aria-valuenow", "0");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
  await page.getByLabel("Meter", { exact: true }).selectOption({ label: "Garden (W-77)" });
  await expect(page).toHaveURL(/meter_id=[0-9a-f-]{36}/);
  await expect(page.getByRole("heading", { name: /^Garden: budget for / })).toBeVisible();
  await expect(page.getByRole("progressbar", { name: "Budget €30.00" })).toBeVisible();
  // Choosing the meter was a history entry: Back undoes it, a second Back returns to the meter.
  await page.goBack();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByLabel("Meter", { exact: true })).toHaveValue("");
  await page.goBack();

  // The list, and the record form's meter picker offers it only for water.
  await page.getByRole("link", { name: "All meters" }).click();
  const row = page.getByRole("row", { name: /Garden/ });
  await expect(row).toContainText("Water meter");
  await expect(row).toContainText("€30.00");
  await screenshot(page, "meters-list-en-light");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "New record" }).click();
  await page.getByLabel("Kind").selectOption({ label: "Electricity" });
  await expect(page.getByLabel(/^Meter/).getByRole("option")).toHaveText(["No meter"]);
  await page.getByLabel("Kind").selectOption({ label: "Water" });
  await expect(page.getByLabel(/^Meter/).getByRole("option")).toHaveText(["No meter", "Garden (W-77)"]);

  await page.goto("/meters");
  await page.getByRole("button", { name: "Delete Garden" }).click();
  await page.getByRole("dialog", { name: "Delete this meter?" }).getByRole("button", { name: "Delete" }).click();
  await expect(page.getByText("Meter deleted.")).toBeVisible();
  await expect(page.getByRole("heading", { name: "No meters yet" })).toBeVisible();
  await context.close();
});

/** Logs in a fresh browser in `locale` and `colorScheme` and photographs each page once `ready` shows. */
async function shoot(
  browser: Browser,
  username: string,
  locale: "en-GB" | "es-ES",
  colorScheme: "light" | "dark",
  pages: Array<{ name: string; path: string; ready: (page: Page) => Locator }>,
) {
  const context = await browser.newContext({ locale, colorScheme });
  const page = await context.newPage();
  await page.goto("/login");
  await page.locator("input[autocomplete=username]").fill(username);
  await page.locator("input[type=password]").fill(PASSWORD);
  await page.locator("form button[type=submit]").click();
  await expect(page).toHaveURL(/\/consumptions$/);
  for (const { name, path, ready } of pages) {
    await page.goto(path);
    await expect(ready(page)).toBeVisible();
    await screenshot(page, `meters-${name}-${locale.slice(0, 2)}-${colorScheme}`);
  }
  await context.close();
}

test("screenshots of a mobile line and a utility meter in both languages and both themes", async ({ browser, page }) => {
  test.setTimeout(180_000);
  const user = uniqueUser("mshots");
  await registerViaUi(page, user);
  await addMeter(page, {
    kind: "Mobile line",
    name: "Work phone",
    identifier: "+447700900123",
    fill: async (p) => {
      const plan = p.getByRole("group", { name: "Plan" });
      await plan.getByLabel("Data included (MB)").fill("500");
      await plan.getByLabel("Minutes included").fill("60");
      await plan.getByLabel("SMS included").fill("20");
      await plan.getByLabel(/^Price per extra MB/).fill("0.01");
    },
  });
  const linePath = new URL(page.url()).pathname;
  await page.getByRole("form", { name: "Top up" }).getByLabel("Amount (EUR)").fill("15");
  await page.getByRole("form", { name: "Top up" }).getByRole("button", { name: "Top up" }).click();
  await expect(page.getByTestId("line-balance")).toHaveText("€15.00");
  for (let press = 0; press < 3; press += 1) {
    await page.getByRole("button", { name: "Simulate usage" }).click();
    await expect(page.getByRole("button", { name: "Simulate usage" })).toBeEnabled();
  }

  await addMeter(page, { kind: "Gas meter", name: "Boiler", identifier: "G-4411" });
  const gasPath = new URL(page.url()).pathname;
  const tariffForm = page.getByRole("form", { name: "Add a tariff" });
  await tariffForm.getByLabel("Valid from").fill("2026-01-01");
  await tariffForm.getByLabel("Price per m³").fill("0.9");
  await tariffForm.getByLabel(/^Fixed charge per day/).fill("0.25");
  await tariffForm.getByRole("button", { name: "Add tariff" }).click();
  await expect(page.getByText("Tariff added; the records it covers were priced again.")).toBeVisible();
  for (const [date, index] of [
    ["2026-01-01", "5000"],
    ["2026-02-01", "5042.5"],
  ] as const) {
    const form = page.getByRole("form", { name: "Enter a reading" });
    await form.getByLabel("Date").fill(date);
    await form.getByLabel("Index (m³)").fill(index);
    await form.getByRole("button", { name: "Save reading" }).click();
    await expect(form.getByLabel("Date")).toHaveValue("");
  }
  await expect(page.getByRole("region", { name: "Records on this meter" }).getByRole("row", { name: JANUARY })).toBeVisible();

  // Language-neutral signs that each page has its data: a gauge, a derived record, a listed meter.
  const pages = [
    { name: "line", path: linePath, ready: (p: Page) => p.getByRole("meter").first() },
    { name: "gas", path: gasPath, ready: (p: Page) => p.getByRole("row", { name: /42[.,]5 m³/ }).first() },
    { name: "list", path: "/meters", ready: (p: Page) => p.getByRole("row", { name: /Boiler/ }) },
  ];
  for (const locale of ["en-GB", "es-ES"] as const) {
    for (const scheme of ["light", "dark"] as const) {
      await shoot(browser, user.username, locale, scheme, pages);
    }
  }
});
