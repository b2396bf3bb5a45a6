import { describe, expect, it } from "vitest";

import { guessMapping, readHead } from "./csv-preview";

describe("the CSV head read before upload", () => {
  it("detects semicolons, strips a byte-order mark and reads quoted line breaks", () => {
    const head = readHead('\uFEFFtipo;cantidad;desde;hasta;notas\nagua;1,5;2026-01-01;2026-01-31;"dos\nlíneas"\n');
    expect(head.delimiter).toBe(";");
    expect(head.header).toEqual(["tipo", "cantidad", "desde", "hasta", "notas"]);
    expect(head.rows).toEqual([["agua", "1,5", "2026-01-01", "2026-01-31", "dos\nlíneas"]]);
  });

  it("guesses the mapping from English or Spanish names", () => {
    expect(guessMapping(["Period start", "Period end", "Cantidad", "Importe", "Other"])).toEqual({
      period_start: "Period start",
      period_end: "Period end",
      quantity: "Cantidad",
      cost: "Importe",
    });
  });
});
