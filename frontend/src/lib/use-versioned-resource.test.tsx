import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { describe, expect, it } from "vitest";

import { deleteMeter, updateMeter, type Meter, type MeterUpdate } from "@/client";
import { getMeterOptions, listMetersQueryKey } from "@/client/@tanstack/react-query.gen";
import { moneyError } from "@/components/MoneyField";
import { everyQueryOf } from "@/lib/queries";
import { fakeApi, problem } from "@/test/render";

import { ifMatch, useVersionedResource } from "./use-versioned-resource";

const ID = "00000000-0000-4000-8000-000000000001";

function meter(version: number, name: string): Meter {
  return {
    id: ID,
    kind: "electricity",
    name,
    identifier: "ES-123",
    currency: "EUR",
    monthly_budget_minor: null,
    plan: null,
    balance_minor: null,
    low_balance_minor: null,
    owner_id: "00000000-0000-4000-8000-0000000000ff",
    version,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
  };
}

/** A server holding one meter: GET reads it, PATCH and DELETE need its current version in If-Match. */
function server(start: Meter) {
  let stored: Meter | null = start;
  const sent: Array<{ method: string; ifMatch: unknown; body: unknown }> = [];
  fakeApi((config) => {
    const method = (config.method ?? "get").toUpperCase();
    const header = config.headers?.["If-Match"];
    sent.push({ method, ifMatch: header, body: config.data ? JSON.parse(String(config.data)) : undefined });
    if (!stored) return { status: 404, body: problem(404, [], "gone") };
    if (method === "GET") return { status: 200, body: stored };
    if (header !== `"${stored.version}"`) return { status: 412, body: problem(412, [], "stale") };
    if (method === "DELETE") {
      stored = null;
      return { status: 204 };
    }
    stored = { ...stored, ...(JSON.parse(String(config.data)) as MeterUpdate), version: stored.version + 1 } as Meter;
    return { status: 200, body: stored };
  });
  return {
    sent,
    /** Someone else saves a change meanwhile. */
    changeElsewhere: (name: string) => (stored = meter((stored?.version ?? 0) + 1, name)),
  };
}

function setup() {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>;
  const path = { meter_id: ID };
  const hook = renderHook(
    () =>
      useVersionedResource({
        query: getMeterOptions({ path }),
        update: async (body: MeterUpdate, headers) => (await updateMeter({ path, body, headers, throwOnError: true })).data,
        remove: (headers) => deleteMeter({ path, headers, throwOnError: true }),
        affects: () => [everyQueryOf(listMetersQueryKey)],
      }),
    { wrapper },
  );
  return { hook, queryClient };
}

describe("useVersionedResource", () => {
  it("sends the version it read as If-Match, the contract's quoted version", async () => {
    const api = server(meter(3, "Home"));
    const { hook } = setup();
    await waitFor(() => expect(hook.result.current.query.data?.version).toBe(3));
    let saved: Meter | null = null;
    await act(async () => {
      saved = await hook.result.current.save({ name: "Flat" });
    });
    expect(saved).toMatchObject({ name: "Flat", version: 4 });
    expect(api.sent.find((request) => request.method === "PATCH")?.ifMatch).toBe('"3"');
    await waitFor(() => expect(hook.result.current.query.data?.name).toBe("Flat"));
    expect(ifMatch({ version: 7 })).toEqual({ "If-Match": '"7"' });
  });

  it("after a 412 holds the refused changes and keeps them on top of the newer version", async () => {
    const api = server(meter(1, "Home"));
    const { hook } = setup();
    await waitFor(() => expect(hook.result.current.query.data?.version).toBe(1));
    api.changeElsewhere("Renamed elsewhere");
    await act(async () => {
      expect(await hook.result.current.save({ name: "Mine" })).toBeNull();
    });
    expect(hook.result.current.stale).toBe(true);
    expect(hook.result.current.refused).toEqual({ name: "Mine" });

    await act(async () => {
      expect(await hook.result.current.keepMine()).toMatchObject({ name: "Mine", version: 3 });
    });
    expect(hook.result.current.stale).toBe(false);
    expect(api.sent.filter((request) => request.method === "PATCH").map((request) => request.ifMatch)).toEqual(['"1"', '"2"']);
  });

  it("a stale delete is refused and reported as stale; reloading clears it and then the delete goes through", async () => {
    const api = server(meter(1, "Home"));
    const { hook, queryClient } = setup();
    await waitFor(() => expect(hook.result.current.query.data?.version).toBe(1));
    api.changeElsewhere("Renamed elsewhere");
    await act(async () => {
      expect(await hook.result.current.remove()).toBeNull();
    });
    expect(hook.result.current.stale).toBe(true);
    await act(() => hook.result.current.reload());
    expect(hook.result.current.stale).toBe(false);
    expect(hook.result.current.query.data?.name).toBe("Renamed elsewhere");
    await act(async () => {
      expect(await hook.result.current.remove()).toBe(true);
    });
    expect(api.sent.filter((request) => request.method === "DELETE").map((request) => request.ifMatch)).toEqual(['"1"', '"2"']);
    expect(queryClient.getQueryData(getMeterOptions({ path: { meter_id: ID } }).queryKey)).toBeUndefined();
  });
});

describe("moneyError", () => {
  const t = (key: string, values?: Record<string, string | number>) => `${key} ${JSON.stringify(values ?? {})}`;

  it("accepts an amount or nothing, and explains too many decimals or a non-amount", () => {
    expect(moneyError("42,15", "EUR", { t, intl: "es-ES" })).toBeUndefined();
    expect(moneyError("", "EUR", { t, intl: "en-GB" })).toBeUndefined();
    expect(moneyError("4.215", "JPY", { t, intl: "en-GB" })?.message).toBe('form.costDecimals {"digits":0,"currency":"JPY"}');
    expect(moneyError("abc", "EUR", { t, intl: "es-ES" })?.message).toBe('form.costInvalid {"example":"42,15"}');
    expect(moneyError("0.123456", "EUR", { t, intl: "en-GB" }, { fractionOfMinor: 4 })).toBeUndefined();
  });
});
