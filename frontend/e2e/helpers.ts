import { expect, type APIRequestContext, type Page } from "@playwright/test";

export const PASSWORD = "correct horse battery";

let counter = 0;
/** A username nobody else in this run (or an earlier one on the same database) has. */
export function uniqueUser(prefix: string): { username: string; email: string } {
  counter += 1;
  const username = `${prefix}${Date.now().toString(36)}${counter}`.slice(0, 32);
  return { username, email: `${username}@example.com` };
}

export async function registerViaUi(page: Page, user: { username: string; email: string }, password = PASSWORD) {
  await page.goto("/register");
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/consumptions$/);
  await expect(page.getByRole("heading", { name: "Consumptions" })).toBeVisible();
}

export async function loginViaUi(page: Page, username: string, password = PASSWORD) {
  await page.goto("/login");
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/consumptions$/);
}

export interface RecordInput {
  kind: string;
  quantity: string;
  start: string;
  end: string;
  cost?: string;
  notes?: string;
}

export async function createViaUi(page: Page, record: RecordInput) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "New record" }).click();
  await expect(page.getByRole("heading", { name: "New record" })).toBeVisible();
  await page.getByLabel("Kind").selectOption({ label: record.kind });
  await page.getByLabel("Quantity").fill(record.quantity);
  await page.getByLabel("Period start").fill(record.start);
  await page.getByLabel("Period end").fill(record.end);
  if (record.cost) await page.getByLabel(/^Cost/).fill(record.cost);
  if (record.notes) await page.getByLabel(/^Notes/).fill(record.notes);
  await page.getByRole("button", { name: "Save record" }).click();
  await expect(page).toHaveURL(/\/consumptions$/);
}

export async function screenshot(page: Page, name: string) {
  // Let toasts and transitions settle so the picture shows the page itself.
  await page.waitForTimeout(300);
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
}

// The API the harness started (scripts/e2e-api.mjs) answers stop and start on a control port beside it.
const API_CONTROL_URL = `http://127.0.0.1:${Number(process.env.E2E_API_PORT ?? 18000) + 1}`;

/** Stops the end-to-end API (only the process the harness started); its database is kept. */
export async function stopApi(request: APIRequestContext) {
  const response = await request.post(`${API_CONTROL_URL}/stop`);
  expect(response.status()).toBe(204);
}

/** Starts the end-to-end API again and waits until it is ready. */
export async function startApi(request: APIRequestContext) {
  const response = await request.post(`${API_CONTROL_URL}/start`, { timeout: 90_000 });
  expect(response.status()).toBe(204);
}
