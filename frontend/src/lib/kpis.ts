// Pure helpers behind the dashboard: the date range it shows (from presets or the URL) and the
// shapes the charts need. Quantities of different kinds are never added together here: every
// series is per kind, and only costs in the same currency are stacked.
import type { ConsumptionKind, CostAmount, KpiBucket, Unit } from "@/client";
import { CONTRACT_FACTS } from "@/client/contract-facts.gen";
import { zDay } from "@/client/zod.gen";

import { KINDS } from "./consumption";
import { currencyDigits } from "./format";

export const RANGE_PRESETS = ["this_month", "last_3_months", "last_12_months", "this_year", "custom"] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];
export type NamedPreset = Exclude<RangePreset, "custom">;
// Bills arrive after their month ends: the last 12 months show what people have.
export const DEFAULT_PRESET: NamedPreset = "last_12_months";

export interface DayRange {
  from: string;
  to: string;
}

export interface DashboardRange extends DayRange {
  preset: RangePreset;
}

const pad = (n: number) => String(n).padStart(2, "0");

function parts(day: string): [number, number, number] {
  const [y, m, d] = day.split("-").map(Number);
  return [y ?? 2000, m ?? 1, d ?? 1];
}

/** The first day of the month `monthsBack` months before the month of `day`. */
function monthStart(day: string, monthsBack = 0): string {
  const [y, m] = parts(day);
  const index = y * 12 + (m - 1) - monthsBack;
  return `${Math.floor(index / 12)}-${pad((index % 12) + 1)}-01`;
}

/** Calendar days from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): number {
  const [fy, fm, fd] = parts(from);
  const [ty, tm, td] = parts(to);
  return Math.round((Date.UTC(ty, tm - 1, td) - Date.UTC(fy, fm - 1, fd)) / 86_400_000) + 1;
}

export function addDays(day: string, count: number): string {
  const [y, m, d] = parts(day);
  const date = new Date(Date.UTC(y, m - 1, d + count));
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/**
 * The days a preset covers, ending today: "this month" and "this year" are to date; "last N
 * months" are the current month and the N-1 before it, so the monthly chart shows N bars.
 */
export function presetRange(preset: NamedPreset, today: string): DayRange {
  switch (preset) {
    case "this_month":
      return { from: monthStart(today), to: today };
    case "last_3_months":
      return { from: monthStart(today, 2), to: today };
    case "last_12_months":
      return { from: monthStart(today, 11), to: today };
    case "this_year":
      return { from: `${today.slice(0, 4)}-01-01`, to: today };
  }
}

function isDay(value: string | null): value is string {
  return value !== null && zDay.safeParse(value).success;
}

/**
 * The range in the address (`?range=last_3_months`, or `?range=custom&from=…&to=…`). Anything the
 * contract would reject (bad days, `from` after `to`) falls back to the default preset.
 */
export function rangeFromParams(params: URLSearchParams, today: string): DashboardRange {
  const preset = params.get("range");
  const from = params.get("from");
  const to = params.get("to");
  if (preset === "custom" || (preset === null && (from !== null || to !== null))) {
    if (isDay(from) && isDay(to) && from <= to) return { preset: "custom", from, to };
    return { preset: DEFAULT_PRESET, ...presetRange(DEFAULT_PRESET, today) };
  }
  const chosen = RANGE_PRESETS.find((each): each is NamedPreset => each === preset && each !== "custom") ?? DEFAULT_PRESET;
  return { preset: chosen, ...presetRange(chosen, today) };
}

/** The query string that keeps a range in the URL: presets by name, custom ranges by days. */
export function rangeToParams(range: { preset: RangePreset; from?: string; to?: string }, current?: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams(current);
  next.set("range", range.preset);
  if (range.preset === "custom" && range.from && range.to) {
    next.set("from", range.from);
    next.set("to", range.to);
  } else {
    next.delete("from");
    next.delete("to");
  }
  return next;
}

/** The API answers at most this many day buckets (the contract's `x-max-day-buckets`); longer
 * ranges show weeks in the "daily" chart. */
export const MAX_DAY_BUCKETS: number = CONTRACT_FACTS.maxDayBuckets;
export function detailInterval(range: DayRange): "day" | "week" {
  return daysBetween(range.from, range.to) <= MAX_DAY_BUCKETS ? "day" : "week";
}

/** Minor units → major units, for chart geometry only (text goes through formatMoney). */
export function minorToMajor(minor: number, currency: string): number {
  return minor / 10 ** currencyDigits(currency);
}

export function costIn(costs: readonly CostAmount[], currency: string): number {
  return costs.find((each) => each.currency === currency)?.cost_minor ?? 0;
}

export interface QuantityPoint {
  start: string;
  end: string;
  quantity: number;
}

/** One kind's quantity per bucket, every bucket present (zeros where the kind had nothing). */
export function kindSeries(buckets: readonly KpiBucket[], kind: ConsumptionKind): QuantityPoint[] {
  return buckets.map((bucket) => ({
    start: bucket.start,
    end: bucket.end,
    quantity: bucket.values.find((value) => value.kind === kind)?.quantity ?? 0,
  }));
}

/** The kinds that appear in a series, in the contract's order, with their units. */
export function kindsInSeries(buckets: readonly KpiBucket[]): Array<{ kind: ConsumptionKind; unit: Unit }> {
  const units = new Map<ConsumptionKind, Unit>();
  for (const bucket of buckets) for (const value of bucket.values) units.set(value.kind, value.unit);
  return KINDS.filter((kind) => units.has(kind)).map((kind) => ({ kind, unit: units.get(kind) as Unit }));
}

export type CostRow = { start: string; end: string } & Partial<Record<ConsumptionKind, number>>;

/**
 * Cost per bucket stacked by kind, one table per currency (amounts in different currencies are
 * never added). Values are in major units; `minor` keeps the exact amounts for tooltips.
 */
export function costStacks(buckets: readonly KpiBucket[]): Array<{ currency: string; kinds: ConsumptionKind[]; rows: CostRow[] }> {
  const byCurrency = new Map<string, Set<ConsumptionKind>>();
  for (const bucket of buckets)
    for (const value of bucket.values)
      for (const cost of value.cost) {
        if (cost.cost_minor === 0) continue;
        const kinds = byCurrency.get(cost.currency) ?? new Set<ConsumptionKind>();
        kinds.add(value.kind);
        byCurrency.set(cost.currency, kinds);
      }
  return [...byCurrency.keys()].sort().map((currency) => {
    const kinds = KINDS.filter((kind) => byCurrency.get(currency)?.has(kind));
    const rows = buckets.map((bucket) => {
      const row: CostRow = { start: bucket.start, end: bucket.end };
      for (const kind of kinds) {
        const value = bucket.values.find((each) => each.kind === kind);
        row[kind] = minorToMajor(value ? costIn(value.cost, currency) : 0, currency);
      }
      return row;
    });
    return { currency, kinds, rows };
  });
}

/** Width (0–100) of a progress bar for a percentage that may exceed 100 or be missing. */
export function barWidth(pct: number | null | undefined): number {
  if (pct === null || pct === undefined || !Number.isFinite(pct)) return 0;
  return Math.max(0, Math.min(100, pct));
}

/** Projected use as a percentage of a limit (null when there is no limit to compare with). */
export function projectedPct(projected: number, limit: number | null | undefined): number | null {
  if (limit === null || limit === undefined || limit <= 0) return null;
  return Math.round((projected / limit) * 1000) / 10;
}

/** Today in a time zone (the tenant's: KPIs count days there), as `YYYY-MM-DD`. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  try {
    // en-CA writes dates as YYYY-MM-DD.
    return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
  } catch {
    return new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
  }
}
