import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { Meter } from "@/client";
import { renderWithI18n } from "@/test/render";

import { LineBalances } from "./LineBalances";

function meter(overrides: Partial<Meter>): Meter {
  return {
    id: "00000000-0000-4000-8000-000000000001",
    kind: "electricity",
    name: "Home",
    identifier: "ES-1",
    currency: "EUR",
    monthly_budget_minor: null,
    plan: null,
    balance_minor: null,
    low_balance_minor: null,
    owner_id: "00000000-0000-4000-8000-000000000009",
    version: 1,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    ...overrides,
  } as Meter;
}

describe("the dashboard's line balances", () => {
  it("lists each mobile line with its balance, and nothing else", () => {
    renderWithI18n(
      <LineBalances
        meters={[
          meter({}),
          meter({ id: "00000000-0000-4000-8000-000000000002", kind: "mobile_line", name: "My phone", identifier: "+34600000000", balance_minor: 1250 }),
        ]}
      />,
    );
    expect(screen.getByRole("heading", { name: "Mobile lines" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "My phone" })).toHaveAttribute("href", "/meters/00000000-0000-4000-8000-000000000002");
    expect(screen.getByTestId("dashboard-line-balance")).toHaveTextContent("Balance: €12.50");
    expect(screen.queryByText("Home")).not.toBeInTheDocument();
  });

  it("shows nothing without lines", () => {
    const { container } = renderWithI18n(<LineBalances meters={[meter({})]} />);
    expect(container).toBeEmptyDOMElement();
  });
});
