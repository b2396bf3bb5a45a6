import { expect, type APIRequestContext, type Page } from "@playwright/test";

import { PASSWORD, uniqueUser } from "./helpers";

// Every page of the app, with an account that has something on each: shared by the layout and
// accessibility checks and by the screenshots (`make screenshots`).

export interface Seeded {
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
export async function seed(request: APIRequestContext): Promise<Seeded> {
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
  // A second bill over half of October: both overlap, so the list badges them and the dashboard warns.
  await post(request, token, "/consumptions", {
    kind: "electricity",
    quantity: 95.25,
    period_start: "2025-10-16",
    period_end: "2025-11-14",
    cost_minor: 2190,
    currency: "EUR",
  });
  await post(request, token, "/consumptions", { kind: "mobile_data", quantity: 8192, period_start: "2025-11-01", period_end: "2025-11-30" });
  const meter = await post(request, token, "/meters", {
    kind: "electricity",
    name: "Kitchen meter with a long name",
    identifier: "ES0021000000000001XY",
    monthly_budget_minor: 6000,
  });
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

export interface PageCheck {
  name: string;
  path: string;
  /** Signed in first? */
  app: boolean;
  /** What shows the page has finished loading. */
  ready: (page: Page) => Promise<void>;
}

export const h1 = (name: string | RegExp) => async (page: Page) => {
  await expect(page.getByRole("heading", { name, level: 1 })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: /^Loading/ })).toHaveCount(0);
};

export function pages(seeded: Seeded): PageCheck[] {
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
        await expect(page.getByRole("link", { name: "Show them" })).toBeVisible();
      },
    },
    {
      name: "records",
      path: "/consumptions",
      app: true,
      ready: async (page) => {
        await h1("Consumptions")(page);
        await expect(page.getByRole("link", { name: /^Edit record of/ }).first()).toBeVisible();
        await expect(page.getByTestId("list-summary")).toContainText("4 records");
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
