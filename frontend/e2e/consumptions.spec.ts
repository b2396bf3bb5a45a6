import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";

import { createViaUi, loginViaUi, PASSWORD, registerViaUi, screenshot, uniqueUser } from "./helpers";

// How en-GB writes 1 to 31 October 2026 (recent ICU puts thin spaces around the dash).
const OCTOBER = String.raw`1\s?–\s?31 Oct 2026`;
const october = new RegExp(OCTOBER);

test("a new user registers, logs in, creates, lists, edits and deletes a record, then logs out", async ({ page }) => {
  const user = uniqueUser("ana");

  // Protected pages send a visitor without a session to the login page first.
  await page.goto("/consumptions");
  await expect(page).toHaveURL(/\/login\?next=%2Fconsumptions$/);
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();

  await page.getByRole("link", { name: "Create one" }).click();
  await registerViaUi(page, user);
  await expect(page.getByRole("heading", { name: "No records yet" })).toBeVisible();
  await expect(page).toHaveTitle("Consumptions · Consumo");

  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await loginViaUi(page, user.username);

  await createViaUi(page, { kind: "Electricity", quantity: "182.5", start: "2026-10-01", end: "2026-10-31", cost: "42.15", notes: "October bill" });
  await expect(page.getByText("Record saved.")).toBeVisible();

  // The period is the days typed, whatever the browser's time zone (America/Los_Angeles here).
  const row = page.getByRole("row", { name: october });
  await expect(row).toContainText("Electricity");
  await expect(row).toContainText("182.5 kWh");
  await expect(row).toContainText("€42.15");
  await expect(row).toContainText("October bill");

  // A reload keeps the session (silent refresh from the HttpOnly cookie).
  await page.reload();
  await expect(page.getByRole("row", { name: october })).toBeVisible();

  // Edit: the form opens with the record's values; the change is sent with If-Match.
  await page.getByRole("link", { name: new RegExp(`^Edit record of ${OCTOBER}$`) }).click();
  await expect(page.getByRole("heading", { name: "Edit record" })).toBeVisible();
  await expect(page.getByLabel("Quantity")).toHaveValue("182.5");
  await expect(page.getByLabel(/^Cost/)).toHaveValue("42.15");
  await page.getByLabel("Quantity").fill("190.25");
  await page.getByLabel(/^Notes/).fill("October bill, corrected");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Changes saved.")).toBeVisible();
  const edited = page.getByRole("row", { name: october });
  await expect(edited).toContainText("190.25 kWh");
  await expect(edited).toContainText("October bill, corrected");

  // Delete, after confirming.
  await page.getByRole("button", { name: new RegExp(`^Delete record of ${OCTOBER}$`) }).click();
  const dialog = page.getByRole("dialog", { name: "Delete this record?" });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByText("Record deleted.")).toBeVisible();
  await expect(page.getByRole("heading", { name: "No records yet" })).toBeVisible();

  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  // The session is really over: a protected page asks to log in again.
  await page.goto("/consumptions");
  await expect(page).toHaveURL(/\/login/);
});

test("the form checks the contract, the period rule included, before sending anything", async ({ page }) => {
  await registerViaUi(page, uniqueUser("val"));
  await page.goto("/consumptions/new");

  let posted = false;
  page.on("request", (request) => {
    if (request.method() === "POST" && request.url().endsWith("/api/v1/consumptions")) posted = true;
  });
  // Two faults at once: both are shown, the period rule beside the schema's error.
  await page.getByLabel("Kind").selectOption({ label: "Water" });
  await page.getByLabel("Quantity").fill("1.2345");
  await page.getByLabel("Period start").fill("2026-03-10");
  await page.getByLabel("Period end").fill("2026-03-01");
  await page.getByRole("button", { name: "Save record" }).click();
  await expect(page.getByLabel("Quantity")).toHaveAccessibleDescription("Use at most 3 decimals.");
  await expect(page.getByLabel("Period end")).toHaveAccessibleDescription("The period cannot end before it starts.");
  expect(posted).toBe(false);

  // The quantity fixed, the period still ends before it starts: still nothing sent.
  await page.getByLabel("Quantity").fill("12.5");
  await page.getByRole("button", { name: "Save record" }).click();
  await expect(page.getByLabel("Period end")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("Quantity")).not.toHaveAttribute("aria-invalid");
  // Longer than 366 days: said before sending too.
  await page.getByLabel("Period start").fill("2025-01-01");
  await page.getByLabel("Period end").fill("2026-01-02");
  await page.getByRole("button", { name: "Save record" }).click();
  await expect(page.getByLabel("Period end")).toHaveAccessibleDescription("A period spans at most 366 days.");
  expect(posted).toBe(false);

  await page.getByLabel("Period end").fill("2025-01-31");
  await page.getByRole("button", { name: "Save record" }).click();
  await expect(page).toHaveURL(/\/consumptions$/);
  expect(posted).toBe(true);
});

/**
 * A user edits a record's notes while another tab of theirs changes its quantity from 30 to 31 and
 * saves first: the save is refused (412) and the page says so. Returns the page and its context.
 */
async function editAfterAnotherTabSaved(browser: Browser, name: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await registerViaUi(page, uniqueUser(name));
  await createViaUi(page, { kind: "Gas", quantity: "30", start: "2026-02-01", end: "2026-02-28", notes: "February" });
  await page.getByRole("link", { name: /^Edit record of/ }).click();
  await expect(page.getByLabel("Quantity")).toHaveValue("30");

  const other = await context.newPage();
  await other.goto(page.url());
  await other.getByLabel("Quantity").fill("31");
  await other.getByRole("button", { name: "Save", exact: true }).click();
  await expect(other.getByText("Changes saved.")).toBeVisible();

  await page.getByLabel(/^Notes/).fill("My change");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Someone else changed this record")).toBeVisible();
  return { context, page };
}

test("editing a record someone else changed meanwhile says so and offers to reload", async ({ browser }) => {
  const { context, page } = await editAfterAnotherTabSaved(browser, "etag");
  await page.getByRole("button", { name: "Reload the record" }).click();
  await expect(page.getByLabel("Quantity")).toHaveValue("31");
  await expect(page.getByLabel(/^Notes/)).toHaveValue("February");
  await context.close();
});

test("after a conflict, keeping my version applies my changes onto the other one", async ({ browser }) => {
  const { context, page } = await editAfterAnotherTabSaved(browser, "keep");
  await page.getByRole("button", { name: "Keep my version" }).click();
  await expect(page).toHaveURL(/\/consumptions$/);

  // Both changes hold: the other tab's quantity and my notes.
  await page.getByRole("link", { name: /^Edit record of/ }).click();
  await expect(page.getByLabel("Quantity")).toHaveValue("31");
  await expect(page.getByLabel(/^Notes/)).toHaveValue("My change");
  await context.close();
});

test("entering a record whose period overlaps another of the same kind warns that both count", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await registerViaUi(page, uniqueUser("overlap"));
  await createViaUi(page, { kind: "Water", quantity: "12", start: "2026-01-01", end: "2026-03-31", notes: "Quarterly bill" });
  await expect(page.getByText(/This period overlaps/)).toHaveCount(0);

  await createViaUi(page, { kind: "Water", quantity: "4", start: "2026-02-01", end: "2026-02-28", notes: "February" });
  await expect(page.getByText("This period overlaps 1 other record of the same kind")).toBeVisible();
  await context.close();
});

test("a second user in another browser never sees the first user's records", async ({ browser }) => {
  const first = await browser.newContext();
  const a = await first.newPage();
  await registerViaUi(a, uniqueUser("alice"));
  await createViaUi(a, { kind: "Mobile data", quantity: "2048", start: "2026-05-01", end: "2026-05-31", notes: "Alice private line" });
  await expect(a.getByRole("row", { name: /Alice private line/ })).toBeVisible();
  await a.getByRole("link", { name: /^Edit record of/ }).click();
  await expect(a).toHaveURL(/\/consumptions\/[0-9a-f-]{36}$/);
  const aliceRecordUrl = new URL(a.url()).pathname;

  const second = await browser.newContext();
  const b = await second.newPage();
  await registerViaUi(b, uniqueUser("bob"));
  await expect(b.getByRole("heading", { name: "No records yet" })).toBeVisible();
  await expect(b.getByText("Alice private line")).toHaveCount(0);
  await b.getByLabel("Search notes").fill("Alice");
  await expect(b.getByRole("heading", { name: "Nothing matches these filters" })).toBeVisible();
  await expect(b).toHaveURL(/q=Alice/);

  // Even with the address of Alice's record, Bob gets "not found".
  await b.goto(aliceRecordUrl);
  await expect(b.getByText("This record does not exist or is not yours.")).toBeVisible();

  await first.close();
  await second.close();
});

test("a wrong password shows an error and keeps the user on the login page", async ({ page }) => {
  const user = uniqueUser("eve");
  await registerViaUi(page, user);
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByLabel("Username or email").fill(user.username);
  await page.getByLabel("Password").fill(`${PASSWORD} but wrong`);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Wrong username or password." })).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
});

test("filters live in the address, so a filtered list can be reloaded and shared", async ({ page }) => {
  await registerViaUi(page, uniqueUser("filt"));
  await createViaUi(page, { kind: "Water", quantity: "12", start: "2026-01-01", end: "2026-01-31", notes: "January water" });
  await createViaUi(page, { kind: "Electricity", quantity: "200", start: "2026-03-01", end: "2026-03-31", notes: "March power" });
  await page.getByLabel("Kind").selectOption({ label: "Water" });
  await expect(page).toHaveURL(/kind=water/);
  await expect(page.getByRole("row", { name: /January water/ })).toBeVisible();
  await expect(page.getByRole("row", { name: /March power/ })).toHaveCount(0);
  await page.getByLabel("From").fill("2026-02-01");
  await expect(page).toHaveURL(/from=2026-02-01/);
  await expect(page.getByRole("heading", { name: "Nothing matches these filters" })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Kind")).toHaveValue("water");
  await expect(page.getByLabel("From")).toHaveValue("2026-02-01");
  await page.getByRole("button", { name: "Clear filters" }).first().click();
  await expect(page.getByRole("row", { name: /March power/ })).toBeVisible();
  await screenshot(page, "en-light-list");
});

test("each filter change is a history entry: Back undoes the last filter, not the whole list", async ({ page }) => {
  await registerViaUi(page, uniqueUser("back"));
  await createViaUi(page, { kind: "Water", quantity: "12", start: "2026-01-01", end: "2026-01-31", notes: "January water" });
  await createViaUi(page, { kind: "Water", quantity: "9", start: "2026-03-01", end: "2026-03-31", notes: "March water" });
  await page.getByLabel("Kind").selectOption({ label: "Water" });
  await expect(page).toHaveURL(/\/consumptions\?kind=water$/);
  await page.getByLabel("From").fill("2026-02-01");
  await expect(page).toHaveURL(/kind=water&from=2026-02-01$/);
  await expect(page.getByRole("row", { name: /January water/ })).toHaveCount(0);
  await page.getByLabel("Search notes").fill("March");
  await expect(page).toHaveURL(/q=March$/);

  await page.goBack();
  await expect(page).toHaveURL(/\/consumptions\?kind=water&from=2026-02-01$/);
  await expect(page.getByLabel("Search notes")).toHaveValue("");
  // The box's older text must not push the search back into the address.
  await page.waitForTimeout(800);
  await expect(page).toHaveURL(/\/consumptions\?kind=water&from=2026-02-01$/);
  await page.goBack();
  await expect(page).toHaveURL(/\/consumptions\?kind=water$/);
  await expect(page.getByLabel("From")).toHaveValue("");
  await expect(page.getByRole("row", { name: /January water/ })).toBeVisible();
  await page.goBack();
  await expect(page).toHaveURL(/\/consumptions$/);
  await expect(page.getByLabel("Kind")).toHaveValue("");
});

test("a record derived from meter readings offers no Delete in the list (its readings own it)", async ({ page, request }) => {
  const user = uniqueUser("derived");
  await registerViaUi(page, user);
  const login = await request.post("/api/v1/auth/login", { data: { username: user.username, password: PASSWORD } });
  const headers = { Authorization: `Bearer ${((await login.json()) as { access_token: string }).access_token}` };
  const meter = await request.post("/api/v1/meters", {
    data: { kind: "electricity", name: "Hall meter", identifier: "HALL-1" },
    headers: { ...headers, "Idempotency-Key": crypto.randomUUID() },
  });
  expect(meter.status()).toBe(201);
  const meterId = ((await meter.json()) as { id: string }).id;
  for (const [date, index_value] of [
    ["2026-01-01", 1000],
    ["2026-02-01", 1300],
  ] as const) {
    const reading = await request.post(`/api/v1/meters/${meterId}/readings`, {
      data: { date, index_value },
      headers: { ...headers, "Idempotency-Key": crypto.randomUUID() },
    });
    expect(reading.status()).toBe(201);
  }
  await createViaUi(page, { kind: "Gas", quantity: "30", start: "2026-01-01", end: "2026-01-31", notes: "Gas bill" });
  const derived = page.getByRole("row", { name: /300 kWh/ });
  await expect(derived).toBeVisible();
  await expect(derived.getByRole("link", { name: /^Edit record of/ })).toBeVisible();
  await expect(derived.getByRole("button", { name: /^Delete/ })).toHaveCount(0);
  // A record entered by hand keeps its Delete.
  await expect(page.getByRole("row", { name: /Gas bill/ }).getByRole("button", { name: /^Delete/ })).toBeVisible();
});

test("leaving the record form with unsaved edits asks first; staying keeps them", async ({ page }) => {
  await registerViaUi(page, uniqueUser("leave"));
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "New record" }).click();
  await expect(page.getByRole("heading", { name: "New record", level: 1 })).toBeVisible();
  await page.getByLabel("Quantity").fill("12");

  const asked: string[] = [];
  page.once("dialog", (dialog) => {
    asked.push(dialog.message());
    void dialog.dismiss();
  });
  await nav.getByRole("link", { name: "Consumptions" }).click();
  await expect.poll(() => asked).toEqual(["You have changes that are not saved. Leave this page and lose them?"]);
  await expect(page).toHaveURL(/\/consumptions\/new$/);
  await expect(page.getByLabel("Quantity")).toHaveValue("12");

  page.once("dialog", (dialog) => void dialog.accept());
  await nav.getByRole("link", { name: "Consumptions" }).click();
  await expect(page.getByRole("heading", { name: "Consumptions", level: 1 })).toBeVisible();
  await expect(page).toHaveURL(/\/consumptions$/);
});
