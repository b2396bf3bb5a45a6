import { readFileSync } from "node:fs";
import { join } from "node:path";

import { AxiosError, AxiosHeaders } from "axios";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

import type { Problem } from "@/client";

import { describeError } from "./errors";
import { interpolate } from "./i18n/I18nProvider";
import { en, es, type MessageKey } from "./i18n/messages";
import { applyProblemToForm, codeMessage, problemMessage, type Translate } from "./problem";

// Vitest runs from frontend/ (`npm test`, `make frontend-check`).
const CONTRACT = join(process.cwd(), "..", "openapi", "openapi.yaml");

/** Every code the contract lists (`Problem.code`'s `x-codes`; the backend's test checks that this is
 * exactly what the server can answer with). */
function contractCodes(): string[] {
  const spec = parse(readFileSync(CONTRACT, "utf8")) as {
    components: { schemas: { Problem: { properties: { code: { "x-codes": Record<string, string> } } } } };
  };
  return Object.keys(spec.components.schemas.Problem.properties.code["x-codes"]);
}

const translator =
  (table: Record<MessageKey, string>): Translate =>
  (key, values) =>
    interpolate(table[key], values);

describe("the server's problem codes in the user's language", () => {
  const codes = contractCodes();

  it("reads the codes from the contract", () => {
    expect(codes).toContain("period.too_long");
    expect(codes.length).toBeGreaterThan(50);
  });

  it.each(codes)("has an English and a Spanish message for %s", (code) => {
    const key = `problem.${code}` as MessageKey;
    expect(en[key], `problem-messages.ts lacks problemEn["problem.${code}"]`).toBeTruthy();
    expect(es[key], `problem-messages.ts lacks problemEs["problem.${code}"]`).toBeTruthy();
  });

  it("uses in each language the same parameters", () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
    for (const code of codes) {
      const key = `problem.${code}` as MessageKey;
      expect(placeholders(es[key]), code).toEqual(placeholders(en[key]));
    }
  });

  it("words a rule with its parameters, in Spanish", () => {
    const problem = {
      type: "urn:consumo:problem:rule-violated",
      title: "Unprocessable Content",
      status: 422,
      code: "period.too_long",
      params: { max_days: 366 },
    };
    expect(problemMessage(problem, translator(es), "es-ES")).toBe("Un periodo abarca como máximo 366 días.");
    expect(problemMessage(problem, translator(en), "en-GB")).toBe("A period spans at most 366 days.");
  });

  it("shows amounts in minor units as money and kinds by their names", () => {
    const t = translator(es);
    expect(codeMessage({ code: "balance.insufficient", params: { needed_minor: 250, balance_minor: 10, currency: "EUR" } }, t, "es-ES")).toBe(
      "Saldo insuficiente: este consumo cuesta 2,50\u00a0€ y el saldo es 0,10\u00a0€. Recarga primero.",
    );
    expect(codeMessage({ code: "meter.kind_mismatch", params: { meter_kind: "gas", record_kind: "electricity" } }, t, "es-ES")).toBe(
      "Este contador no admite registros de electricidad.",
    );
  });

  it("falls back to the server's English for a code the app does not know yet", () => {
    const problem: Problem = { type: "urn:consumo:problem:x", title: "Conflict", status: 409, code: "webhook.brand_new", detail: "A brand new rule." };
    expect(problemMessage(problem, translator(es))).toBe("A brand new rule.");
    expect(problemMessage({ ...problem, detail: undefined }, translator(es))).toBe("Conflict");
  });

  it("puts each field error on its field in the user's language", () => {
    const set: Array<[string, string | undefined]> = [];
    const problem: Problem = {
      type: "urn:consumo:problem:validation",
      title: "Bad Request",
      status: 400,
      code: "request.invalid",
      errors: [
        { field: "notes", message: "'xxx' is too long", code: "field.too_long", params: { limit: 1000 } },
        { field: "period_end", message: "The period must not end before it starts.", code: "period.end_before_start" },
        { field: "colour", message: "is not a field of this object", code: "field.unknown" },
      ],
    };
    const rest = applyProblemToForm(problem, ["notes", "period_end"], (name, error) => set.push([name, error.message]), translator(es));
    expect(set).toEqual([
      ["notes", "Usa como máximo 1000 caracteres."],
      ["period_end", "El periodo no puede terminar antes de empezar."],
    ]);
    expect(rest).toEqual(["Este campo no se puede indicar."]);
  });

  it("describes a failed call by its code, not by the server's English", () => {
    const body: Problem = {
      type: "urn:consumo:problem:rule-violated",
      title: "Unprocessable Content",
      status: 422,
      code: "range.from_after_to",
      detail: "`from` must not be after `to`.",
    };
    const error = new AxiosError("422", "ERR_BAD_REQUEST", undefined, undefined, {
      status: 422,
      statusText: "",
      headers: {},
      config: { headers: new AxiosHeaders() },
      data: body,
    });
    expect(describeError(error, translator(es))).toBe("«Desde» no puede ser posterior a «hasta».");
  });

  it("tells an API that does not answer (no response, or a proxy's 5xx page) from the API's own 500", () => {
    const failed = (status: number | undefined, data: unknown) =>
      new AxiosError(
        String(status),
        "ERR_BAD_RESPONSE",
        undefined,
        undefined,
        status === undefined ? undefined : { status, statusText: "", headers: {}, config: { headers: new AxiosHeaders() }, data },
      );
    const network = "The server cannot be reached. Check your connection and try again.";
    expect(describeError(failed(undefined, undefined), translator(en))).toBe(network);
    expect(describeError(failed(500, "Internal Server Error"), translator(en))).toBe(network);
    expect(describeError(failed(502, "<html>Bad Gateway</html>"), translator(en))).toBe(network);
    const ours: Problem = { type: "urn:consumo:problem:internal", title: "Internal Server Error", status: 500, code: "internal" };
    expect(describeError(failed(500, ours), translator(en))).not.toBe(network);
  });
});
