import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { filtersFromParams, overlapListHref } from "@/lib/consumption";
import { fakeApi, renderWithI18n } from "@/test/render";

import { ListSummary } from "./ListSummary";
import { OverlapBadge } from "./OverlapBadge";
import { OverlapNotice } from "./OverlapNotice";

const record = { overlaps: 2, kind: "electricity", period_start: "2025-01-01", period_end: "2025-01-31", meter_id: null } as const;

describe("overlapping records", () => {
  it("badges a record that overlaps others, linking to the overlapping records of its period", () => {
    renderWithI18n(<OverlapBadge record={record} />);
    const badge = screen.getByRole("link", { name: /Overlaps 2 other record/ });
    expect(badge).toHaveTextContent("Overlaps 2");
    expect(badge).toHaveAttribute("href", "/consumptions?kind=electricity&from=2025-01-01&to=2025-01-31&overlapping=true");
  });

  it("shows no badge for a record that overlaps none", () => {
    const { container } = renderWithI18n(<OverlapBadge record={{ ...record, overlaps: 0 }} />);
    expect(container).toBeEmptyDOMElement();
  });

  it("warns on the dashboard in Spanish too, with the link for one's own records only", () => {
    renderWithI18n(<OverlapNotice count={3} from="2025-01-01" to="2025-12-31" linkToList />, "es");
    expect(screen.getByRole("alert")).toHaveTextContent("3 registros de este periodo se solapan");
    expect(screen.getByRole("link", { name: "Verlos" })).toHaveAttribute("href", "/consumptions?from=2025-01-01&to=2025-12-31&overlapping=true");
    const { container } = renderWithI18n(<OverlapNotice count={0} from="2025-01-01" to="2025-12-31" linkToList />);
    expect(container).toBeEmptyDOMElement();
  });

  it("reads the overlapping filter from the address as a boolean, and ignores anything else", () => {
    expect(filtersFromParams(new URLSearchParams("overlapping=true&kind=water"))).toEqual({ overlapping: true, kind: "water" });
    expect(filtersFromParams(new URLSearchParams("overlapping=false"))).toEqual({ overlapping: false });
    expect(filtersFromParams(new URLSearchParams("overlapping=yes"))).toEqual({});
    expect(overlapListHref({ meter_id: undefined, from: "2025-01-01" })).toBe("/consumptions?from=2025-01-01&overlapping=true");
  });
});

describe("the list's totals", () => {
  it("say how many records match, each kind in its unit (naming kinds that share one) and each currency", async () => {
    const asked: string[] = [];
    fakeApi((config) => {
      asked.push(String(config.url));
      return {
        status: 200,
        body: {
          records: 1234,
          quantities: [
            { kind: "electricity", unit: "kWh", quantity: 1234.5 },
            { kind: "water", unit: "m3", quantity: 12 },
            { kind: "gas", unit: "m3", quantity: 3 },
          ],
          costs: [{ currency: "EUR", cost_minor: 5670 }],
          uncosted_records: 4,
        },
      };
    });
    renderWithI18n(
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <ListSummary filters={{ kind: undefined, from: "2025-01-01", overlapping: true }} />
      </QueryClientProvider>,
    );
    const summary = await screen.findByTestId("list-summary");
    expect(summary).toHaveTextContent("1,234 records · 1,234.5 kWh · 12 m³ (water) · 3 m³ (gas) · €56.70 · 4 without cost");
    expect(asked).toEqual(["/api/v1/consumptions/summary?from=2025-01-01&overlapping=true"]);
  });
});
