import { afterEach, describe, expect, it } from "vitest";

import { zDay, zMeterIdentifier } from "@/client/zod.gen";

import { configureZod } from "./zod-messages";

function messageOf(result: { success: boolean; error?: { issues: Array<{ message: string }> } }): string | undefined {
  return result.error?.issues[0]?.message;
}

describe("messages for the contract's patterns", () => {
  afterEach(() => configureZod("en"));

  it("says the day range instead of 'not valid here' for a year before 2000", () => {
    configureZod("en");
    expect(messageOf(zDay.safeParse("1999-12-31"))).toBe("Use a date from 1 January 2000 to 31 December 2100.");
    configureZod("es");
    expect(messageOf(zDay.safeParse("1999-12-31"))).toBe("Usa una fecha entre el 1 de enero de 2000 y el 31 de diciembre de 2100.");
  });

  it("says to remove the spaces from a phone number or serial", () => {
    configureZod("en");
    expect(messageOf(zMeterIdentifier.safeParse("912 345 678"))).toBe("Remove the spaces: write it in one piece.");
    expect(zMeterIdentifier.safeParse("+34912345678").success).toBe(true);
  });
});
