import { useQuery, type UseQueryResult } from "@tanstack/react-query";

import type { ConsumptionKind } from "@/client";
import { getBudgetsOptions, getKpiBreakdownOptions, getKpiSummaryOptions, getKpiTimeseriesOptions } from "@/client/@tanstack/react-query.gen";
import type { DayRange } from "@/lib/kpis";

export type Scope = "mine" | "tenant";

// Data entered elsewhere (another tab, another member) shows up within a few seconds, but only
// while this tab is visible. The polling also brings the figures back by itself after an outage.
// No placeholder data: after a change of range, the previous range's figures must never stand
// under the new range's label, not even while the new ones load (or fail to).
const live = {
  refetchInterval: 5_000,
  refetchIntervalInBackground: false,
  staleTime: 4_000,
} as const;

/**
 * What a dashboard section may show for the range on screen: its figures, a loading state, or
 * an error. A query that failed is "error" also while it tries again (its poll resets it to
 * pending), so the section does not flicker between a spinner and the error every few seconds.
 */
export type SectionView<T> = { state: "loading" } | { state: "error"; error: unknown } | { state: "ready"; data: T };

export function sectionView<T>(query: UseQueryResult<T>): SectionView<T> {
  if (query.isError) return { state: "error", error: query.error };
  if (query.isSuccess) return { state: "ready", data: query.data };
  if (query.failureCount > 0 || query.errorUpdateCount > 0) return { state: "error", error: query.failureReason };
  return { state: "loading" };
}

/** Whose records the figures cover, and optionally only those on one meter. */
export interface KpiFilter {
  scope: Scope;
  meterId?: string;
}

// The query parameters of a filter: `meter_id` only when a meter is chosen.
const filterQuery = ({ scope, meterId }: KpiFilter) => ({ scope, ...(meterId ? { meter_id: meterId } : {}) });

export function useKpiSummary(range: DayRange, filter: KpiFilter) {
  return useQuery({ ...getKpiSummaryOptions({ query: { ...range, ...filterQuery(filter) } }), ...live });
}

export function useKpiTimeseries(range: DayRange, interval: "day" | "week" | "month", filter: KpiFilter, kind?: ConsumptionKind, enabled = true) {
  return useQuery({
    ...getKpiTimeseriesOptions({ query: { ...range, interval, ...filterQuery(filter), ...(kind ? { kind } : {}) } }),
    enabled,
    ...live,
  });
}

export function useKpiBreakdown(range: DayRange, filter: KpiFilter) {
  return useQuery({ ...getKpiBreakdownOptions({ query: { ...range, ...filterQuery(filter) } }), ...live });
}

export function useBudgets() {
  return useQuery(getBudgetsOptions());
}
