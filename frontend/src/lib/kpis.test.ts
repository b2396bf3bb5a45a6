import { describe, expect, it } from "vitest";

import type { KpiBucket } from "@/client";

import {
  addDays,
  barWidth,
  costStacks,
  daysBetween,
  detailInterval,
  kindSeries,
  kindsInSeries,
  presetRange,
  projectedPct,
  rangeFromParams,
  rangeToParams,
  todayIn,
} from "./kpis";

describe("date-range presets end today and start on a month's first day", () => {
  it("this month is the month to date", () => {
    expect(presetRange("this_month", "2026-03-17")).toEqual({ from: "2026-03-01", to: "2026-03-17" });
  });

  it("the last 3 and 12 months include the current month and cross year ends", () => {
    expect(presetRange("last_3_months", "2026-02-10")).toEqual({ from: "2025-12-01", to: "2026-02-10" });
    expect(presetRange("last_12_months", "2026-01-31")).toEqual({ from: "2025-02-01", to: "2026-01-31" });
    expect(presetRange("last_12_months", "2026-12-31")).toEqual({ from: "2026-01-01", to: "2026-12-31" });
  });

  it("this year starts on 1 January", () => {
    expect(presetRange("this_year", "2028-02-29")).toEqual({ from: "2028-01-01", to: "2028-02-29" });
  });
});

describe("the range kept in the URL", () => {
  const today = "2026-05-20";

  it("reads a preset by name and a custom range by its days", () => {
    expect(rangeFromParams(new URLSearchParams("range=last_3_months"), today)).toEqual({ preset: "last_3_months", from: "2026-03-01", to: "2026-05-20" });
    expect(rangeFromParams(new URLSearchParams("range=custom&from=2025-01-01&to=2025-03-31"), today)).toEqual({
      preset: "custom",
      from: "2025-01-01",
      to: "2025-03-31",
    });
    expect(rangeFromParams(new URLSearchParams("from=2025-01-01&to=2025-01-31"), today).preset).toBe("custom");
  });

  it("falls back to the last 12 months for anything the API would reject", () => {
    const fallback = { preset: "last_12_months", ...presetRange("last_12_months", today) };
    expect(rangeFromParams(new URLSearchParams(""), today)).toEqual(fallback);
    expect(rangeFromParams(new URLSearchParams("range=forever"), today)).toEqual(fallback);
    expect(rangeFromParams(new URLSearchParams("range=custom&from=2025-03-01&to=2025-01-01"), today)).toEqual(fallback);
    expect(rangeFromParams(new URLSearchParams("range=custom&from=2025-02-30&to=2025-03-01"), today)).toEqual(fallback);
    expect(rangeFromParams(new URLSearchParams("range=custom&from=1999-01-01&to=2025-03-01"), today)).toEqual(fallback);
  });

  it("writes presets without days and keeps other parameters", () => {
    expect(rangeToParams({ preset: "this_year" }, new URLSearchParams("from=2025-01-01&to=2025-02-01&kind=gas")).toString()).toBe("kind=gas&range=this_year");
    expect(rangeToParams({ preset: "custom", from: "2025-01-01", to: "2025-02-01" }).toString()).toBe("range=custom&from=2025-01-01&to=2025-02-01");
  });
});

describe("day arithmetic", () => {
  it("counts both ends and leap days", () => {
    expect(daysBetween("2024-02-01", "2024-02-29")).toBe(29);
    expect(daysBetween("2025-01-01", "2025-12-31")).toBe(365);
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addDays("2025-12-31", 1)).toBe("2026-01-01");
  });

  it("asks for weeks when a range has more than 400 days", () => {
    expect(detailInterval({ from: "2025-01-01", to: "2026-02-04" })).toBe("day");
    expect(detailInterval({ from: "2025-01-01", to: "2026-02-05" })).toBe("week");
  });
});

const buckets: KpiBucket[] = [
  {
    start: "2025-01-01",
    end: "2025-01-31",
    values: [
      { kind: "electricity", unit: "kWh", quantity: 100, cost: [{ currency: "EUR", cost_minor: 2500 }] },
      {
        kind: "water",
        unit: "m3",
        quantity: 17,
        cost: [
          { currency: "EUR", cost_minor: 1700 },
          { currency: "USD", cost_minor: 99 },
        ],
      },
    ],
  },
  {
    start: "2025-02-01",
    end: "2025-02-28",
    values: [
      { kind: "electricity", unit: "kWh", quantity: 0, cost: [] },
      { kind: "water", unit: "m3", quantity: 14, cost: [{ currency: "EUR", cost_minor: 1400 }] },
    ],
  },
];

describe("series shaping never mixes units or currencies", () => {
  it("gives one kind's quantity for every bucket", () => {
    expect(kindSeries(buckets, "water").map((point) => point.quantity)).toEqual([17, 14]);
    expect(kindSeries(buckets, "gas").map((point) => point.quantity)).toEqual([0, 0]);
  });

  it("lists the kinds present with their units, in the contract's order", () => {
    expect(kindsInSeries([...buckets].reverse())).toEqual([
      { kind: "electricity", unit: "kWh" },
      { kind: "water", unit: "m3" },
    ]);
  });

  it("stacks cost by kind separately for each currency, in major units", () => {
    const stacks = costStacks(buckets);
    expect(stacks.map((stack) => stack.currency)).toEqual(["EUR", "USD"]);
    expect(stacks[0]?.kinds).toEqual(["electricity", "water"]);
    expect(stacks[0]?.rows).toEqual([
      { start: "2025-01-01", end: "2025-01-31", electricity: 25, water: 17 },
      { start: "2025-02-01", end: "2025-02-28", electricity: 0, water: 14 },
    ]);
    expect(stacks[1]?.kinds).toEqual(["water"]);
    expect(stacks[1]?.rows.map((row) => row.water)).toEqual([0.99, 0]);
  });
});

describe("budget bars", () => {
  it("clamps widths and computes the projection against the limit", () => {
    expect(barWidth(140)).toBe(100);
    expect(barWidth(null)).toBe(0);
    expect(barWidth(42.5)).toBe(42.5);
    expect(projectedPct(150, 100)).toBe(150);
    expect(projectedPct(1, 3)).toBe(33.3);
    expect(projectedPct(5, null)).toBeNull();
    expect(projectedPct(5, 0)).toBeNull();
  });
});

describe("today in the tenant's time zone", () => {
  it("is the calendar day there, not in the browser", () => {
    const instant = new Date("2026-01-01T03:00:00Z");
    expect(todayIn("Europe/Madrid", instant)).toBe("2026-01-01");
    expect(todayIn("America/Los_Angeles", instant)).toBe("2025-12-31");
    expect(todayIn("Not/AZone", instant)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
