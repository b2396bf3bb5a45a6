import { expect, test } from "@playwright/test";

import { PASSWORD, registerViaUi, uniqueUser } from "./helpers";

test("API tokens: create one (shown once), it works as a bearer, then revoke it", async ({ page, request }) => {
  await registerViaUi(page, uniqueUser("tok"));
  await page.goto("/profile");
  const tokens = page.getByRole("region", { name: "API tokens" });
  await tokens.getByLabel("Token name").fill("Home Assistant");
  await tokens.getByLabel("Access").selectOption({ label: "Read only" });
  await tokens.getByLabel("Expires").selectOption({ label: "Never expires" }); // the owner may
  await tokens.getByRole("button", { name: "Create token" }).click();
  await expect(tokens.getByText("Copy it now: it is shown only once.")).toBeVisible();
  const secret = await tokens.getByRole("textbox", { name: "Your new API token" }).inputValue();
  expect(secret).toMatch(/^cns_[0-9a-f]{32}r/);

  const asToken = await request.get("/api/v1/consumptions", { headers: { Authorization: `Bearer ${secret}` } });
  expect(asToken.status()).toBe(200);
  const write = await request.post("/api/v1/consumptions", { headers: { Authorization: `Bearer ${secret}` }, data: {} });
  expect(write.status()).toBe(403);

  await tokens.getByRole("button", { name: "Done" }).click();
  await expect(tokens.getByRole("textbox", { name: "Your new API token" })).toHaveCount(0);
  await page.reload();
  const list = page.getByRole("list", { name: "Your API tokens" });
  await expect(list.getByText("Home Assistant")).toBeVisible();
  await expect(list.getByText(/Last used .* from /)).toBeVisible();
  await expect(page.getByText(secret)).toHaveCount(0); // never shown again

  await list.getByRole("button", { name: "Revoke Home Assistant" }).click();
  await page.getByRole("dialog", { name: "Revoke this token?" }).getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByText("Token revoked.")).toBeVisible();
  await expect(page.getByText("You have no API tokens.")).toBeVisible();
  const revoked = await request.get("/api/v1/consumptions", { headers: { Authorization: `Bearer ${secret}` } });
  expect(revoked.status()).toBe(401);
});

test("webhooks: register an endpoint (secret once), send a test, see the delivery, disable, rotate, delete", async ({ page }) => {
  await registerViaUi(page, uniqueUser("hook"));
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" }).click();
  await page.getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();

  // The server's SSRF rule shows on the field.
  await page.getByLabel("Endpoint URL").fill("http://127.0.0.1/hook");
  await page.getByLabel("consumption.created").check();
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page.getByLabel("Endpoint URL")).toHaveAttribute("aria-invalid", "true");

  const url = "https://hooks.example.invalid/consumo";
  await page.getByLabel("Endpoint URL").fill(url);
  await page.getByRole("button", { name: "Add endpoint" }).click();
  const secret = await page.getByRole("textbox", { name: "Signing secret" }).inputValue();
  expect(secret).toMatch(/^whsec_/);
  await page.getByRole("button", { name: "Done" }).click();

  const card = page.getByRole("region", { name: url });
  await expect(card.getByText("Active")).toBeVisible();
  await card.getByRole("button", { name: "Send test" }).click();
  await expect(page.getByText("Test event queued.")).toBeVisible();
  await card.getByRole("button", { name: "Deliveries" }).click();
  const row = card.getByRole("row", { name: /webhook\.test/ });
  // The e2e API runs a job worker: the delivery is pending, or already tried once and retrying
  // (hooks.example.invalid never answers).
  await expect(row).toContainText(/Pending|Retrying/);
  await row.getByRole("button", { name: "Redeliver" }).click();
  await expect(card.getByRole("row", { name: /webhook\.test/ })).toHaveCount(2);

  await card.getByRole("button", { name: "Disable" }).click();
  await expect(card.getByText("Disabled", { exact: true })).toBeVisible();
  await card.getByRole("button", { name: "Rotate secret" }).click();
  const rotated = await page.getByRole("textbox", { name: "Signing secret" }).inputValue();
  expect(rotated).toMatch(/^whsec_/);
  expect(rotated).not.toBe(secret);
  await page.getByRole("button", { name: "Done" }).click();

  await card.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog", { name: "Delete this endpoint?" }).getByRole("button", { name: "Delete" }).click();
  await expect(page.getByText("No endpoints yet.")).toBeVisible();
});

test("alerts: a line with a low balance shows in the bell", async ({ page, request }) => {
  const user = uniqueUser("bell");
  await registerViaUi(page, user);
  const login = await request.post("/api/v1/auth/login", { data: { username: user.username, password: PASSWORD } });
  const { access_token: token } = (await login.json()) as { access_token: string };
  const line = await request.post("/api/v1/meters", {
    headers: { Authorization: `Bearer ${token}` },
    data: {
      kind: "mobile_line",
      name: "My phone",
      identifier: "+34612345679",
      plan: { data_mb: 1024, voice_minutes: 100, sms: 10, cycle_start_day: 1, data_mb_price_minor: 1, voice_minute_price_minor: 5, sms_price_minor: 10 },
    },
  });
  expect(line.status()).toBe(201);
  await page.reload();
  const bell = page.getByRole("button", { name: "Alerts: 1" });
  await bell.click();
  await expect(page.getByRole("link", { name: /My phone: the balance is low/ })).toBeVisible();
});
