import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { KindSummary } from "@/client";
import { renderWithI18n } from "@/test/render";

import { KpiCards } from "./KpiCards";

const summary: KindSummary = {
  kind: "electricity",
  unit: "kWh",
  quantity: 0,
  cost: [],
  records: 0,
  average_per_day: 0,
  change_vs_previous_pct: -100,
  change_vs_last_year_pct: null,
  current_month: {
    month_start: "2026-05-01",
    days_elapsed: 20,
    days_in_month: 31,
    quantity_to_date: 0,
    projected_quantity: 0,
    cost_to_date: [],
    projected_cost: [],
    budget: null,
  },
};

describe("the KPI cards' changes", () => {
  it("mark a change of a range that is not over as partial, not as a fall", () => {
    renderWithI18n(<KpiCards kinds={[summary]} partial />);
    expect(screen.getByRole("note")).toHaveTextContent("its last bills may not have arrived yet");
    expect(screen.getByText("-100% so far (period not over)")).toBeInTheDocument();
    expect(screen.queryByText(/Down/)).not.toBeInTheDocument();
  });

  it("show a change of a finished range as a rise or a fall", () => {
    renderWithI18n(<KpiCards kinds={[summary]} />);
    expect(screen.queryByRole("note")).not.toBeInTheDocument();
    expect(screen.getByText(/Down 100/)).toBeInTheDocument();
  });
});
