// The API's real answers for odd and internationalised email addresses (saved by the backend's
// tests/test_email_addresses.py) parse with the Zod schemas generated from the contract, so the
// web app can sign in every user the API accepts, and shows their address exactly as stored.
import { describe, expect, it } from "vitest";

import { zLoginResponse, zRegisterResponse, zUpdateCurrentUserResponse } from "@/client/zod.gen";

import saved from "../test/api-responses/email-addresses.json";

describe("email addresses the API accepts", () => {
  it("are saved from the API (the backend test writes them)", () => {
    expect(saved.length).toBeGreaterThanOrEqual(5);
    expect(saved.some((entry) => entry.stored.includes("xn--"))).toBe(true);
  });

  for (const entry of saved) {
    it(`parse with the generated schemas: ${entry.sent}`, () => {
      expect(zRegisterResponse.parse(entry.register).email).toBe(entry.stored);
      expect(zLoginResponse.parse(entry.login).user.email).toBe(entry.stored);
      expect(zUpdateCurrentUserResponse.parse(entry.update_current_user).email).toBe(entry.stored);
    });
  }
});
