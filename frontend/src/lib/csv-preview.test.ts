// @vitest-environment node
// Node's Blob (jsdom's has no arrayBuffer or text), as the browser's.
import { describe, expect, it } from "vitest";

import { guessMapping, looksBinary, readHead, readUtf8 } from "./csv-preview";

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

describe("the file's text, as the API reads it", () => {
  const utf8 = (text: string) => new TextEncoder().encode(text);

  it("reads UTF-8 with or without a byte-order mark, the mark dropped", async () => {
    expect(await readUtf8(new Blob([utf8("\uFEFFtipo;año\n")]))).toBe("tipo;año\n");
    expect(await readUtf8(new Blob([utf8("tipo;año\n")]))).toBe("tipo;año\n");
  });

  it("refuses Latin-1 bytes instead of replacing them (the browser's Blob.text() would)", async () => {
    const latin1 = new Uint8Array([0x74, 0x69, 0x70, 0x6f, 0x3b, 0x61, 0xf1, 0x6f, 0x0a]); // "tipo;año\n" in Latin-1
    expect(await new Blob([latin1]).text()).toContain("\uFFFD");
    expect(await readUtf8(new Blob([latin1]))).toBeNull();
    expect(await readUtf8(new Blob([latin1]), true)).toBeNull();
  });

  it("accepts a file's start that ends in the middle of a character, but not a whole file that does", async () => {
    const cut = utf8("notas\naño").slice(0, 8); // "notas\na" and the first byte of "ñ"
    expect(await readUtf8(new Blob([cut]), true)).toBe("notas\na");
    expect(await readUtf8(new Blob([cut]))).toBeNull();
  });
});

describe("a file that is not text", () => {
  it("is told by its signature or a NUL byte, as the API tells it", () => {
    expect(looksBinary(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]))).toBe(true); // PNG
    expect(looksBinary(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14]))).toBe(true); // xlsx (zip)
    expect(looksBinary(new TextEncoder().encode("kind,quantity\u0000"))).toBe(true);
    expect(looksBinary(new TextEncoder().encode("kind;cantidad\nagua;1,5\n"))).toBe(false);
    expect(looksBinary(new Uint8Array([]))).toBe(false);
  });
});
