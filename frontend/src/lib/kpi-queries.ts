import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { getBudgets, getKpiBreakdown, getKpiSummary, getKpiTimeseries, type ConsumptionKind } from "@/client";
import type { DayRange } from "@/lib/kpis";

/** Every KPI query lives under this key: record mutations invalidate it as a whole. */
export const KPIS_KEY = ["kpis"] as const;

export type Scope = "mine" | "tenant";

// Data entered elsewhere (another tab, another member) shows up within a few seconds, but only
// while this tab is visible; a range change keeps the previous figures on screen until the new
// ones arrive instead of flashing a spinner.
const live = {
  refetchInterval: 5_000,
  refetchIntervalInBackground: false,
  staleTime: 4_000,
  placeholderData: keepPreviousData,
} as const;

/** Whose records the figures cover, and optionally only those on one meter. */
export interface KpiFilter {
  scope: Scope;
  meterId?: string;
}

// The query parameters of a filter: `meter_id` only when a meter is chosen.
const filterQuery = ({ scope, meterId }: KpiFilter) => ({ scope, ...(meterId ? { meter_id: meterId } : {}) });

export function useKpiSummary(range: DayRange, filter: KpiFilter) {
  return useQuery({
    queryKey: [...KPIS_KEY, "summary", range.from, range.to, filter.scope, filter.meterId ?? null],
    queryFn: async ({ signal }) => (await getKpiSummary({ query: { ...range, ...filterQuery(filter) }, signal, throwOnError: true })).data,
    ...live,
  });
}

export function useKpiTimeseries(range: DayRange, interval: "day" | "week" | "month", filter: KpiFilter, kind?: ConsumptionKind, enabled = true) {
  return useQuery({
    enabled,
    queryKey: [...KPIS_KEY, "timeseries", interval, range.from, range.to, filter.scope, filter.meterId ?? null, kind ?? null],
    queryFn: async ({ signal }) =>
      (await getKpiTimeseries({ query: { ...range, interval, ...filterQuery(filter), ...(kind ? { kind } : {}) }, signal, throwOnError: true })).data,
    ...live,
  });
}

export function useKpiBreakdown(range: DayRange, filter: KpiFilter) {
  return useQuery({
    queryKey: [...KPIS_KEY, "breakdown", range.from, range.to, filter.scope, filter.meterId ?? null],
    queryFn: async ({ signal }) => (await getKpiBreakdown({ query: { ...range, ...filterQuery(filter) }, signal, throwOnError: true })).data,
    ...live,
  });
}

export const BUDGETS_KEY = [...KPIS_KEY, "budgets"] as const;

export function useBudgets() {
  return useQuery({
    queryKey: BUDGETS_KEY,
    queryFn: async ({ signal }) => (await getBudgets({ signal, throwOnError: true })).data,
  });
}
