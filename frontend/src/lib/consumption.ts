import type { QueryClient } from "@tanstack/react-query";

import { type ConsumptionKind, type ConsumptionSource, type ListConsumptionsData, type Unit } from "@/client";
import { CONTRACT_FACTS } from "@/client/contract-facts.gen";
import { zConsumptionKind, zConsumptionSource, zListConsumptionsQuery } from "@/client/zod.gen";
import { invalidate, recordQueries } from "@/lib/queries";

/** The kinds, in the contract's order. */
export const KINDS: readonly ConsumptionKind[] = zConsumptionKind.options;

/** Where records come from (typed in, imported, the API, a line's simulated usage, meter readings). */
export const SOURCES: readonly ConsumptionSource[] = zConsumptionSource.options;

/** The unit each kind is measured in, for hints before a record exists (records carry their own
 * `unit`): the contract's `x-unit-by-kind`. */
export const KIND_UNIT: Record<ConsumptionKind, Unit> = CONTRACT_FACTS.unitByKind;

export const COMMON_CURRENCIES = ["EUR", "USD", "GBP", "CHF", "MXN", "ARS", "COP", "CLP", "PEN", "JPY"] as const;

/** After a record is created, edited or deleted: the lists and the dashboard's KPIs both change. */
export async function invalidateRecordQueries(queryClient: QueryClient): Promise<void> {
  await invalidate(queryClient, recordQueries());
}

/** The list's filters that live in the address, under the API's own parameter names. */
export const FILTER_KEYS = ["kind", "source", "meter_id", "from", "to", "q", "overlapping"] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type ListFilters = Pick<NonNullable<ListConsumptionsData["query"]>, FilterKey>;

/** The filters in the URL that the contract accepts; anything else in the address is ignored. */
export function filtersFromParams(params: URLSearchParams): ListFilters {
  const shape = zListConsumptionsQuery.shape;
  const filters: ListFilters = {};
  for (const key of FILTER_KEYS) {
    const raw = params.get(key) ?? undefined;
    // A boolean in the address is the text "true" or "false".
    const parsed = shape[key].safeParse(key === "overlapping" ? { true: true, false: false }[raw ?? ""] : raw);
    if (parsed.success && parsed.data !== undefined) Object.assign(filters, { [key]: parsed.data });
  }
  return filters;
}

/** The list of the records that overlap another, within `filters` (a period, a kind, a meter):
 * where a record's overlap badge and the dashboard's notice lead. */
export function overlapListHref(filters: Omit<ListFilters, "overlapping" | "q" | "source">): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value) params.set(key, String(value));
  params.set("overlapping", "true");
  return `/consumptions?${params.toString()}`;
}
