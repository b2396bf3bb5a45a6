// Pure helpers behind the meter pages and the record forms' meter picker.
import type { QueryClient } from "@tanstack/react-query";

import type { Allowance, ConsumptionKind, Meter, MeterKind, Unit } from "@/client";
import { CONTRACT_FACTS } from "@/client/contract-facts.gen";
import { zGetKpiSummaryQuery, zMeterKind } from "@/client/zod.gen";

import { KIND_UNIT } from "./consumption";
import { invalidate, meterDataQueries } from "./queries";

/** The meter kinds, in the contract's order. */
export const METER_KINDS: readonly MeterKind[] = zMeterKind.options;

/** The record kinds each meter kind holds: the contract's `x-record-kinds-by-meter-kind`. */
export const METER_RECORD_KINDS: Record<MeterKind, readonly ConsumptionKind[]> = CONTRACT_FACTS.recordKindsByMeterKind;

export function meterHolds(meterKind: MeterKind, recordKind: ConsumptionKind): boolean {
  return METER_RECORD_KINDS[meterKind].includes(recordKind);
}

/** The meters a record of `recordKind` may be attached to; every meter while no kind is chosen. */
export function metersFor<M extends Pick<Meter, "kind">>(meters: readonly M[], recordKind: ConsumptionKind | ""): M[] {
  return recordKind === "" ? [...meters] : meters.filter((meter) => meterHolds(meter.kind, recordKind));
}

/** The meter chosen in the address (`?meter_id=…`), when it is an id the API would accept. */
export function meterIdFromParams(params: URLSearchParams): string | undefined {
  const parsed = zGetKpiSummaryQuery.shape.meter_id.safeParse(params.get("meter_id") ?? undefined);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The chosen meter if the caller has it; a meter that is gone (deleted, or someone else's) is
 * dropped, like any other filter the API would reject. Until the meters are known the choice stands.
 */
export function knownMeterId(meterId: string | undefined, meters: readonly Pick<Meter, "id">[] | undefined): string | undefined {
  if (meterId === undefined || meters === undefined) return meterId;
  return meters.some((meter) => meter.id === meterId) ? meterId : undefined;
}

/** The unit of a utility meter's index (kWh, m³); a mobile line has no index. */
export function indexUnit(kind: MeterKind): Unit | null {
  return kind === "mobile_line" ? null : KIND_UNIT[kind];
}

export type GaugeLevel = "ok" | "low" | "out" | "none";

export interface Gauge {
  /** What is left of the allowance, 0–100 (for the bar); null when nothing is included. */
  remainingPct: number | null;
  /** Used beyond the allowance (charged at the overage price), 0 when within it. */
  overage: number;
  level: GaugeLevel;
}

/** Below this share left, a gauge turns amber. */
export const LOW_REMAINING_PCT = 20;

/** How full an allowance gauge is drawn, from the status the API computed. */
export function gaugeOf(allowance: Pick<Allowance, "included" | "used" | "remaining">): Gauge {
  const overage = Math.max(0, Math.round((allowance.used - allowance.included) * 1000) / 1000);
  if (allowance.included <= 0) return { remainingPct: null, overage, level: "none" };
  const pct = Math.min(100, Math.max(0, (allowance.remaining / allowance.included) * 100));
  const level: GaugeLevel = allowance.remaining <= 0 ? "out" : pct < LOW_REMAINING_PCT ? "low" : "ok";
  return { remainingPct: pct, overage, level };
}

/**
 * After usage, a top-up, a tariff or a reading: the meter's records (and their costs), the KPIs
 * and the meter's own figures all move.
 */
export async function invalidateMeterData(queryClient: QueryClient, meterId: string): Promise<void> {
  await invalidate(queryClient, meterDataQueries(meterId));
}
