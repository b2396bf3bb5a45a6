import { describe, expect, it } from "vitest";

import type { ConsumptionKind, MeterKind } from "@/client";

import { filtersFromParams, KINDS } from "./consumption";
import { gaugeOf, indexUnit, knownMeterId, METER_KINDS, METER_RECORD_KINDS, meterHolds, meterIdFromParams, metersFor } from "./meters";

describe("which records a meter holds", () => {
  it("pairs each utility meter with its own kind and a mobile line with data, voice and SMS", () => {
    expect(meterHolds("electricity", "electricity")).toBe(true);
    expect(meterHolds("electricity", "gas")).toBe(false);
    expect(meterHolds("water", "water")).toBe(true);
    expect(meterHolds("gas", "water")).toBe(false);
    expect(meterHolds("mobile_line", "mobile_data")).toBe(true);
    expect(meterHolds("mobile_line", "voice")).toBe(true);
    expect(meterHolds("mobile_line", "sms")).toBe(true);
    expect(meterHolds("mobile_line", "electricity")).toBe(false);
  });

  it("gives every record kind exactly one meter kind", () => {
    for (const kind of KINDS) {
      const holders = METER_KINDS.filter((meterKind) => METER_RECORD_KINDS[meterKind].includes(kind));
      expect(holders, kind).toHaveLength(1);
    }
  });

  it("offers only compatible meters for a kind, and all of them before a kind is chosen", () => {
    const meters: Array<{ id: string; kind: MeterKind }> = [
      { id: "home", kind: "electricity" },
      { id: "garden", kind: "water" },
      { id: "phone", kind: "mobile_line" },
      { id: "office", kind: "electricity" },
    ];
    const ids = (kind: ConsumptionKind | "") => metersFor(meters, kind).map((meter) => meter.id);
    expect(ids("electricity")).toEqual(["home", "office"]);
    expect(ids("voice")).toEqual(["phone"]);
    expect(ids("gas")).toEqual([]);
    expect(ids("")).toEqual(["home", "garden", "phone", "office"]);
  });

  it("knows the unit of a utility meter's index", () => {
    expect(indexUnit("electricity")).toBe("kWh");
    expect(indexUnit("gas")).toBe("m3");
    expect(indexUnit("mobile_line")).toBeNull();
  });
});

describe("allowance gauges", () => {
  it("draw what is left as a share of what is included", () => {
    expect(gaugeOf({ included: 10240, used: 2560, remaining: 7680 })).toEqual({ remainingPct: 75, overage: 0, level: "ok" });
    expect(gaugeOf({ included: 300, used: 0, remaining: 300 })).toEqual({ remainingPct: 100, overage: 0, level: "ok" });
  });

  it("turn amber below a fifth left and red when nothing is left", () => {
    expect(gaugeOf({ included: 100, used: 85, remaining: 15 }).level).toBe("low");
    expect(gaugeOf({ included: 100, used: 80, remaining: 20 }).level).toBe("ok");
    expect(gaugeOf({ included: 100, used: 100, remaining: 0 })).toEqual({ remainingPct: 0, overage: 0, level: "out" });
  });

  it("report usage beyond the allowance without drawing past empty", () => {
    expect(gaugeOf({ included: 100, used: 130.5, remaining: 0 })).toEqual({ remainingPct: 0, overage: 30.5, level: "out" });
    // Float noise from the subtraction never shows up as 0.30000000000000004 MB.
    expect(gaugeOf({ included: 1, used: 1.3, remaining: 0 }).overage).toBe(0.3);
  });

  it("have no bar when the plan includes none of it", () => {
    expect(gaugeOf({ included: 0, used: 12, remaining: 0 })).toEqual({ remainingPct: null, overage: 12, level: "none" });
  });
});

describe("the meter filter kept in the URL", () => {
  const id = "0b7f3c1e-5a2d-4c8b-9e6f-1a2b3c4d5e6f";
  const other = "6f5e4d3c-2b1a-4f6e-8b9c-e1c3f7b00000";

  it("reads a well-formed meter id and ignores anything else", () => {
    expect(meterIdFromParams(new URLSearchParams(`meter_id=${id}&range=this_year`))).toBe(id);
    expect(meterIdFromParams(new URLSearchParams(""))).toBeUndefined();
    expect(meterIdFromParams(new URLSearchParams("meter_id="))).toBeUndefined();
    expect(meterIdFromParams(new URLSearchParams("meter_id=kitchen"))).toBeUndefined();
  });

  it("is one of the record list's filters, next to the others", () => {
    expect(filtersFromParams(new URLSearchParams(`kind=gas&meter_id=${id}&q=bill&sort=created_at`))).toEqual({ kind: "gas", meter_id: id, q: "bill" });
    expect(filtersFromParams(new URLSearchParams("meter_id=not-a-uuid&from=2025-01-01"))).toEqual({ from: "2025-01-01" });
  });

  it("keeps a chosen meter while the meters load, and drops one the caller no longer has", () => {
    expect(knownMeterId(id, undefined)).toBe(id);
    expect(knownMeterId(id, [{ id: other }, { id }])).toBe(id);
    expect(knownMeterId(id, [{ id: other }])).toBeUndefined();
    expect(knownMeterId(id, [])).toBeUndefined();
    expect(knownMeterId(undefined, [{ id }])).toBeUndefined();
  });
});
