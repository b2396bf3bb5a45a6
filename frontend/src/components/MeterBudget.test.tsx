import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { MeterBudgetProgress } from "@/client";
import { renderWithI18n } from "@/test/render";

import { MeterBudgetCard } from "./MeterBudget";

const progress: NonNullable<MeterBudgetProgress> = {
  meter_id: "00000000-0000-4000-8000-000000000002",
  currency: "EUR",
  limit_minor: 3000,
  month_start: "2026-03-01",
  days_elapsed: 10,
  days_in_month: 31,
  cost_to_date_minor: 1200,
  projected_cost_minor: 3720,
  used_pct: 40,
  projected_over_budget: true,
};

describe("a meter's budget card", () => {
  it("shows what was spent, the projection and the limit, with a progress bar and the warning", () => {
    renderWithI18n(<MeterBudgetCard budget={progress} name="Home" />);
    expect(screen.getByRole("heading", { name: "Home: budget for Mar 2026" })).toBeInTheDocument();
    expect(screen.getByTestId("meter-budget-spent")).toHaveTextContent("€12.00");
    expect(screen.getByTestId("meter-budget-projected")).toHaveTextContent("€37.20");
    expect(screen.getByText("Day 10 of 31")).toBeInTheDocument();
    const bar = screen.getByRole("progressbar", { name: "Budget €30.00" });
    expect(bar).toHaveAttribute("aria-valuenow", "40");
    expect(bar).toHaveAttribute("aria-valuetext", "40% used, 124% projected by month end");
    expect(screen.getByRole("status")).toHaveTextContent("Projected to go over budget this month");
  });

  it("has no warning while the projection stays within the limit", () => {
    renderWithI18n(<MeterBudgetCard budget={{ ...progress, projected_cost_minor: 2900, projected_over_budget: false }} name="Home" />);
    expect(screen.queryByRole("status")).toBeNull();
    expect(screen.getByRole("progressbar", { name: "Budget €30.00" })).toHaveAttribute("aria-valuetext", "40% used, 96.7% projected by month end");
  });
});
