import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { LineStatus, Meter } from "@/client";
import { fakeApi, problem, renderWithI18n } from "@/test/render";

import { LinePanel } from "./LinePanel";

const METER_ID = "00000000-0000-4000-8000-000000000002";

const line: Meter = {
  id: METER_ID,
  kind: "mobile_line",
  name: "My phone",
  identifier: "+56912345678",
  currency: "EUR",
  monthly_budget_minor: null,
  plan: { data_mb: 10240, voice_minutes: 300, sms: 100, cycle_start_day: 1, data_mb_price_minor: 1, voice_minute_price_minor: 5, sms_price_minor: 10 },
  balance_minor: 1000,
  low_balance_minor: null,
  owner_id: "00000000-0000-4000-8000-0000000000ff",
  version: 1,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

function status(dataUsed: number, balance: number): LineStatus {
  return {
    meter_id: METER_ID,
    identifier: "+56912345678",
    as_of: "2026-03-10",
    cycle_start: "2026-03-01",
    cycle_end: "2026-03-31",
    days_elapsed: 10,
    days_left: 21,
    allowances: [
      {
        kind: "mobile_data",
        unit: "MB",
        included: 10240,
        used: dataUsed,
        remaining: Math.max(0, 10240 - dataUsed),
        used_pct: (dataUsed / 10240) * 100,
        runs_out_on: null,
      },
      { kind: "voice", unit: "min", included: 300, used: 0, remaining: 300, used_pct: 0, runs_out_on: null },
      { kind: "sms", unit: "count", included: 0, used: 3, remaining: 0, used_pct: null, runs_out_on: null },
    ],
    balance_minor: balance,
    currency: "EUR",
    spent_this_cycle_minor: 1000 - balance,
    balance_runs_out_on: balance < 1000 ? "2026-03-20" : null,
  };
}

function renderPanel() {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return renderWithI18n(
    <QueryClientProvider client={queryClient}>
      <LinePanel meter={line} />
    </QueryClientProvider>,
  );
}

describe("a mobile line's panel", () => {
  it("draws accessible gauges of what is left, and the balance", async () => {
    fakeApi(() => ({ status: 200, body: status(2048, 1000) }));
    renderPanel();
    const data = await screen.findByRole("meter", { name: "Mobile data left" });
    expect(data).toHaveAttribute("aria-valuenow", "8192");
    expect(data).toHaveAttribute("aria-valuemax", "10240");
    expect(data).toHaveAttribute("aria-valuetext", "8 GB of 10 GB left");
    expect(screen.getByRole("meter", { name: "Voice left" })).toHaveAttribute("aria-valuenow", "300");
    // Nothing included: no gauge, just what was used.
    expect(screen.queryByRole("meter", { name: "SMS left" })).not.toBeInTheDocument();
    expect(screen.getByText("None included")).toBeInTheDocument();
    expect(screen.getByTestId("line-balance")).toHaveTextContent("€10.00");
    expect(screen.getByTestId("line-days-left")).toHaveTextContent("21");
  });

  it("simulates a random burst with an empty body and an Idempotency-Key, and the numbers move", async () => {
    let simulated = false;
    const api = fakeApi((config) => {
      if (config.method === "post") {
        simulated = true;
        return { status: 201, body: { records: [], cost_minor: 250, status: status(4096, 750) } };
      }
      return { status: 200, body: simulated ? status(4096, 750) : status(2048, 1000) };
    });
    renderPanel();
    expect(await screen.findByRole("meter", { name: "Mobile data left" })).toHaveAttribute("aria-valuenow", "8192");
    await userEvent.click(screen.getByRole("button", { name: "Simulate usage" }));
    await waitFor(() => expect(screen.getByRole("meter", { name: "Mobile data left" })).toHaveAttribute("aria-valuenow", "6144"));
    expect(screen.getByTestId("line-balance")).toHaveTextContent("€7.50");
    const post = api.mock.calls.map(([config]) => config).find((config) => config.method === "post");
    expect(post?.url).toContain(`/meters/${METER_ID}/simulate`);
    expect(JSON.parse(String(post?.data))).toEqual({});
    expect(String(post?.headers["Idempotency-Key"])).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("shows why usage was refused (422, e.g. not enough balance)", async () => {
    fakeApi((config) =>
      config.method === "post"
        ? { status: 422, body: problem(422, [], "The balance (€0.10) cannot pay for this usage (€2.50).") }
        : { status: 200, body: status(2048, 10) },
    );
    renderPanel();
    await screen.findByRole("meter", { name: "Mobile data left" });
    await userEvent.click(screen.getByRole("button", { name: "Simulate usage" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The usage was not recorded: The balance (€0.10) cannot pay for this usage (€2.50).");
  });
});
