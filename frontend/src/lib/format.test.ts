import { describe, expect, it } from "vitest";

import { currencyDigits, formatDay, formatMoney, formatPeriod, formatCompact, formatQuantity, formatReadableQuantity, formatUnitPrice } from "./format";
import { majorToMinor, minorToMajorInput, parseDecimal } from "./money";

describe("days are the days the user typed, in every time zone", () => {
  it("runs these tests west of UTC", () => {
    expect(new Date(0).getTimezoneOffset()).toBeGreaterThan(0);
  });

  it("shows 1 March as 1 March", () => {
    expect(formatDay("2026-03-01", "en-GB")).toBe("1 Mar 2026");
    expect(formatDay("2026-03-01", "es-ES")).toBe("1 mar 2026");
    expect(formatDay("2026-01-01", "en-US")).toBe("Jan 1, 2026");
  });

  it("shows a period as a range of those days", () => {
    expect(formatPeriod("2026-10-01", "2026-10-31", "en-GB")).toMatch(/^1\s?–\s?31 Oct 2026$/);
    expect(formatPeriod("2026-12-31", "2026-12-31", "en-GB")).toBe("31 Dec 2026");
  });

  it("refuses anything that is not YYYY-MM-DD", () => {
    expect(() => formatDay("2026-3-1", "en-GB")).toThrow(RangeError);
  });
});

describe("money", () => {
  it("formats minor units for the locale and the currency's digits", () => {
    expect(formatMoney(4215, "EUR", "en-GB")).toBe("€42.15");
    expect(formatMoney(4215, "EUR", "es-ES")).toBe("42,15\u00a0€");
    expect(formatMoney(4215, "JPY", "en-GB")).toBe("JP¥4,215");
    expect(formatMoney(42150, "KWD", "en-GB")).toBe("KWD\u00a042.150");
    expect(currencyDigits("CLP")).toBe(0);
  });

  it("turns typed major units into exact minor units", () => {
    expect(majorToMinor("42.15", "EUR")).toEqual({ ok: true, minor: 4215 });
    expect(majorToMinor("42,15", "EUR")).toEqual({ ok: true, minor: 4215 });
    expect(majorToMinor("0.1", "EUR")).toEqual({ ok: true, minor: 10 });
    expect(majorToMinor("1.234,56", "EUR")).toEqual({ ok: true, minor: 123456 });
    expect(majorToMinor("1,234.56", "USD")).toEqual({ ok: true, minor: 123456 });
    expect(majorToMinor("1.234.567", "EUR")).toEqual({ ok: true, minor: 123456700 });
    expect(majorToMinor("4215", "JPY")).toEqual({ ok: true, minor: 4215 });
    expect(majorToMinor("", "EUR")).toEqual({ ok: true, minor: undefined });
    // 0.1 + 0.2 style float errors cannot happen: the digits are shifted as text.
    expect(majorToMinor("1234567.89", "EUR")).toEqual({ ok: true, minor: 123456789 });
  });

  it("refuses amounts with too many decimals or that are not amounts", () => {
    expect(majorToMinor("42.155", "EUR")).toEqual({ ok: false, reason: "decimals", digits: 2 });
    expect(majorToMinor("42.5", "JPY")).toEqual({ ok: false, reason: "decimals", digits: 0 });
    expect(majorToMinor("-3", "EUR").ok).toBe(false);
    expect(majorToMinor("4e3", "EUR").ok).toBe(false);
    expect(majorToMinor("12,", "EUR").ok).toBe(false);
  });

  it("writes minor units back as editable text", () => {
    expect(minorToMajorInput(4215, "EUR")).toBe("42.15");
    expect(minorToMajorInput(5, "EUR", ",")).toBe("0,05");
    expect(minorToMajorInput(4215, "JPY")).toBe("4215");
    expect(minorToMajorInput(null, "EUR")).toBe("");
  });
});

describe("quantities", () => {
  it("reads both decimal separators and shows the locale's", () => {
    expect(parseDecimal("182,5")).toBe(182.5);
    expect(parseDecimal("182.5")).toBe(182.5);
    expect(parseDecimal("1e3")).toBeNaN();
    expect(formatQuantity(1234.5, "en-GB")).toBe("1,234.5");
    expect(formatQuantity(12345.5, "es-ES")).toBe("12.345,5");
  });
});

describe("prices finer than the minor unit (tariffs)", () => {
  it("turn typed major units into fractional minor units exactly", () => {
    expect(majorToMinor("0.1523", "EUR", 4)).toEqual({ ok: true, minor: 15.23 });
    expect(majorToMinor("0,152345", "EUR", 4)).toEqual({ ok: true, minor: 15.2345 });
    expect(majorToMinor("0.5", "EUR", 4)).toEqual({ ok: true, minor: 50 });
    expect(majorToMinor("12", "JPY", 4)).toEqual({ ok: true, minor: 12 });
    expect(majorToMinor("0.1234567", "EUR", 4)).toEqual({ ok: false, reason: "decimals", digits: 6 });
  });

  it("show as many decimals as the price has", () => {
    expect(formatUnitPrice(15.23, "EUR", "en-GB")).toBe("€0.1523");
    expect(formatUnitPrice(50, "EUR", "en-GB")).toBe("€0.50");
    expect(formatUnitPrice(15.23, "EUR", "es-ES")).toBe("0,1523\u00a0€");
  });
});

describe("quantities in the units people read", () => {
  const label = (unit: string) => (unit === "count" ? "SMS" : unit);
  it("shows mobile data from 1,024 MB up in GB, with two decimals", () => {
    expect(formatReadableQuantity(8192, "MB", "en-GB", label)).toBe("8 GB");
    expect(formatReadableQuantity(1536, "MB", "es-ES", label)).toBe("1,5 GB");
    expect(formatReadableQuantity(1000, "MB", "en-GB", label)).toBe("1,000 MB");
  });

  it("shows minutes with at most one decimal, other units with up to three", () => {
    expect(formatReadableQuantity(12.345, "min", "en-GB", label)).toBe("12.3 min");
    expect(formatReadableQuantity(182.125, "kWh", "en-GB", label)).toBe("182.125 kWh");
    expect(formatReadableQuantity(3, "count", "en-GB", label)).toBe("3 SMS");
  });

  it("gives chart ticks below 10 two decimals, so 0.25 stays 0.25", () => {
    expect(formatCompact(0.25, "en-GB", "EUR")).toBe("€0.25");
    expect(formatCompact(1500, "en-US")).toBe("1.5K");
  });
});
