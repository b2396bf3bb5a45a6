import type { QueryClient } from "@tanstack/react-query";

import { listConsumptions, type Consumption, type ConsumptionKind, type ConsumptionSource, type ListConsumptionsData, type Unit } from "@/client";
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
export const FILTER_KEYS = ["kind", "source", "meter_id", "from", "to", "q"] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type ListFilters = Pick<NonNullable<ListConsumptionsData["query"]>, FilterKey>;

/** The filters in the URL that the contract accepts; anything else in the address is ignored. */
export function filtersFromParams(params: URLSearchParams): ListFilters {
  const shape = zListConsumptionsQuery.shape;
  const filters: ListFilters = {};
  for (const key of FILTER_KEYS) {
    const parsed = shape[key].safeParse(params.get(key) ?? undefined);
    if (parsed.success && parsed.data !== undefined) Object.assign(filters, { [key]: parsed.data });
  }
  return filters;
}

/**
 * How many other records of the same kind (on the same meter, when it has one) overlap a record's
 * period — a bill and meter readings for the same months, say, which both count and double the
 * figures. The list's `from`/`to` filters are exactly "overlaps": ends on or after `from`, starts on
 * or before `to`. Counts at most 25; a failed check counts none (it only warns).
 */
export async function countOverlaps(record: Consumption): Promise<number> {
  try {
    const { data } = await listConsumptions({
      query: { kind: record.kind, from: record.period_start, to: record.period_end, ...(record.meter_id ? { meter_id: record.meter_id } : {}), limit: 25 },
      throwOnError: true,
    });
    return data.items.filter((other) => other.id !== record.id).length;
  } catch {
    return 0;
  }
}
