import type { QueryClient, QueryKey } from "@tanstack/react-query";

import {
  getBudgetsQueryKey,
  getKpiBreakdownQueryKey,
  getKpiSummaryQueryKey,
  getKpiTimeseriesQueryKey,
  getMeterQueryKey,
  getMeterStatusQueryKey,
  listConsumptionsQueryKey,
  listMetersQueryKey,
  listReadingsQueryKey,
  listTariffsQueryKey,
  listTopUpsQueryKey,
  summarizeConsumptionsQueryKey,
} from "@/client/@tanstack/react-query.gen";

// Every query of the web app is one of the generated query options (src/client/@tanstack), so its
// key is the generated one: `[{ _id: operationId, baseURL, path?, query? }]`. TanStack matches
// keys by prefix and by partial objects, so the generated key of an operation without parameters
// names all its queries (every filter, every page), and one with only `path` names all of one
// parent's. Invalidation goes through these, never through literal keys.

/** Every query of one operation, whatever its parameters (a generated key function, called bare). */
export function everyQueryOf(queryKey: (options: never) => QueryKey): QueryKey {
  return (queryKey as (options?: undefined) => QueryKey)();
}

/** Cursor paging for the generated infinite options: no cursor first, then each page's `next_cursor`. */
export const byCursor = {
  // The generated page parameter is a cursor string; the first page has none.
  initialPageParam: undefined as unknown as string,
  getNextPageParam: (page: { next_cursor?: string | null }) => page.next_cursor ?? undefined,
};

/** Marks every query under these keys stale and refetches those on screen. */
export async function invalidate(queryClient: QueryClient, keys: readonly QueryKey[]): Promise<void> {
  await Promise.all(keys.map((queryKey) => queryClient.invalidateQueries({ queryKey })));
}

/** The dashboard's figures: summary, series, breakdown and the budgets' spend. */
export const kpiQueries = (): QueryKey[] => [
  everyQueryOf(getKpiSummaryQueryKey),
  everyQueryOf(getKpiTimeseriesQueryKey),
  everyQueryOf(getKpiBreakdownQueryKey),
  everyQueryOf(getBudgetsQueryKey),
];

/** After a record is created, edited or deleted: every record list, the list's totals and the KPIs change. */
export const recordQueries = (): QueryKey[] => [everyQueryOf(listConsumptionsQueryKey), everyQueryOf(summarizeConsumptionsQueryKey), ...kpiQueries()];

/** Every meter list and picker, and every meter read alone. */
export const meterQueries = (): QueryKey[] => [everyQueryOf(listMetersQueryKey), everyQueryOf(getMeterQueryKey)];

/**
 * After usage, a top-up, a tariff or a reading: the meter's records (and their costs), the KPIs
 * and the meter's own figures all move.
 */
export const meterDataQueries = (meterId: string): QueryKey[] => {
  const path = { path: { meter_id: meterId } };
  return [...recordQueries(), getMeterStatusQueryKey(path), listReadingsQueryKey(path), listTariffsQueryKey(path), listTopUpsQueryKey(path)];
};
