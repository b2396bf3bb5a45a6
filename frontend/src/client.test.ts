import { describe, expect, it } from "vitest";

import { zChangePasswordBody, zCreateConsumptionBody, zListConsumptionsQuery, zLoginBody, zRegisterBody, zUpdateConsumptionBody } from "@/client/zod.gen";

// The generated schemas are the frontend's copy of the contract: what the API rejects with a 400
// must already fail here, before anything is sent.
const validRecord = { kind: "electricity", quantity: 182.5, period_start: "2026-10-01", period_end: "2026-10-31" };

describe("generated schema for registration", () => {
  const valid = { username: "ana.g", email: "ana@example.com", password: "correct horse battery" };

  it("accepts a valid registration", () => {
    expect(zRegisterBody.safeParse(valid).success).toBe(true);
  });

  it.each([
    ["a username shorter than 3 characters", { username: "an" }],
    ["a username with spaces", { username: "ana g" }],
    ["a username longer than 32 characters", { username: "a".repeat(33) }],
    ["an email without a domain", { email: "ana@" }],
    ["a password shorter than 8 characters", { password: "short" }],
    ["a password with a NUL character", { password: "correct\u0000horse" }],
    ["an empty organisation name", { organization_name: "" }],
  ])("rejects %s", (_name, change) => {
    expect(zRegisterBody.safeParse({ ...valid, ...change }).success).toBe(false);
  });

  it("requires username, email and password", () => {
    const result = zRegisterBody.safeParse({});
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toEqual(["username", "email", "password"]);
  });
});

describe("generated schema for login and password change", () => {
  it("requires both login fields", () => {
    expect(zLoginBody.safeParse({ username: "ana", password: "" }).success).toBe(false);
    expect(zLoginBody.safeParse({ username: "ana", password: "x" }).success).toBe(true);
  });

  it("applies the password rules to the new password only", () => {
    expect(zChangePasswordBody.safeParse({ current_password: "x", new_password: "long enough" }).success).toBe(true);
    expect(zChangePasswordBody.safeParse({ current_password: "x", new_password: "short" }).success).toBe(false);
  });
});

describe("generated schema for a new consumption record", () => {
  it("accepts a minimal and a complete record", () => {
    expect(zCreateConsumptionBody.safeParse(validRecord).success).toBe(true);
    expect(zCreateConsumptionBody.safeParse({ ...validRecord, cost_minor: 4215, currency: "EUR", notes: "October bill" }).success).toBe(true);
  });

  it.each([
    ["an unknown kind", { kind: "steam" }],
    ["a negative quantity", { quantity: -1 }],
    ["a quantity above 10^9", { quantity: 1_000_000_001 }],
    ["a quantity with 4 decimals (multipleOf 0.001)", { quantity: 1.2345 }],
    ["a quantity that is not a number", { quantity: Number.NaN }],
    ["a day that does not exist", { period_start: "2026-02-30" }],
    ["a day before 2000", { period_start: "1999-12-31" }],
    ["a day after 2100", { period_end: "2101-01-01" }],
    ["a timestamp instead of a day", { period_end: "2026-10-31T00:00:00Z" }],
    ["a cost with cents as decimals", { cost_minor: 42.15 }],
    ["a negative cost", { cost_minor: -1 }],
    // Whether three letters name a real currency (ISO 4217) is the server's check: the contract
    // states it as a format the generated schema cannot carry, so only the length is checked here.
    ["a currency that is not three characters", { currency: "EURO" }],
    ["notes longer than 1000 characters", { notes: "x".repeat(1001) }],
    ["notes with a NUL character", { notes: "a\u0000b" }],
  ])("rejects %s", (_name, change) => {
    expect(zCreateConsumptionBody.safeParse({ ...validRecord, ...change }).success).toBe(false);
  });

  it("accepts quantities with up to 3 decimals", () => {
    for (const quantity of [0, 0.001, 190.25, 51.333, 1_000_000_000]) {
      expect(zCreateConsumptionBody.safeParse({ ...validRecord, quantity }).success, String(quantity)).toBe(true);
    }
  });

  it("requires kind, quantity and both days", () => {
    const result = zCreateConsumptionBody.safeParse({});
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toEqual(["kind", "quantity", "period_start", "period_end"]);
  });
});

describe("generated schema for an edit", () => {
  it("lets cost and notes be cleared with null, but not the quantity", () => {
    expect(zUpdateConsumptionBody.safeParse({ cost_minor: null, notes: null }).success).toBe(true);
    expect(zUpdateConsumptionBody.safeParse({ quantity: null }).success).toBe(false);
  });
});

describe("generated schema for list filters", () => {
  it("rejects a search longer than 100 characters and a malformed cursor", () => {
    expect(zListConsumptionsQuery.safeParse({ q: "x".repeat(101) }).success).toBe(false);
    expect(zListConsumptionsQuery.safeParse({ cursor: "not a cursor!" }).success).toBe(false);
    expect(zListConsumptionsQuery.safeParse({ limit: 101 }).success).toBe(false);
    expect(zListConsumptionsQuery.safeParse({ kind: "water", from: "2026-01-01", q: "bill" }).success).toBe(true);
  });
});
