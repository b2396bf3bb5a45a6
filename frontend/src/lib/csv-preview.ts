// The first lines of a CSV file, read in the browser before upload: the separator, the header,
// a few rows, and a guess of which column holds which field (the API reads the whole file).

export const IMPORT_FIELDS = ["kind", "quantity", "period_start", "period_end", "cost", "currency", "notes"] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];
export const REQUIRED_FIELDS: ImportField[] = ["quantity", "period_start", "period_end"];

// The names the API recognises too (compared without case, accents, spaces or punctuation).
const HEADER_NAMES: Record<ImportField, string[]> = {
  kind: ["kind", "type", "tipo", "clase"],
  quantity: ["quantity", "qty", "cantidad", "consumo", "consumption", "usage", "uso"],
  period_start: ["periodstart", "start", "from", "startdate", "desde", "inicio", "fechainicio"],
  period_end: ["periodend", "end", "to", "enddate", "hasta", "fin", "fechafin"],
  cost: ["cost", "coste", "costo", "importe", "amount", "price", "precio"],
  currency: ["currency", "moneda", "divisa"],
  notes: ["notes", "note", "notas", "nota", "comment", "comments", "comentario", "descripcion", "description"],
};

export function normalName(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");
}

export function detectDelimiter(firstLine: string): "," | ";" {
  return (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ";" : ",";
}

/** Records of `text` (quotes, doubled quotes and line breaks inside quotes understood), at most `limit`. */
export function parseCsv(text: string, delimiter: string, limit: number): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < limit; i += 1) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === delimiter) {
      row.push(cell);
      cell = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[i + 1] === "\n") i += 1;
      row.push(cell);
      if (row.some((value) => value.trim())) rows.push(row);
      row = [];
      cell = "";
    } else cell += char;
  }
  if ((cell || row.length) && rows.length < limit && !quoted) {
    row.push(cell);
    if (row.some((value) => value.trim())) rows.push(row);
  }
  return rows;
}

export type Mapping = Partial<Record<ImportField, string>>;

/** Which header holds each field, guessed from the names. */
export function guessMapping(header: string[]): Mapping {
  const mapping: Mapping = {};
  const taken = new Set<string>();
  for (const field of IMPORT_FIELDS) {
    const found = header.find((name) => !taken.has(name) && HEADER_NAMES[field].includes(normalName(name)));
    if (found) {
      mapping[field] = found;
      taken.add(found);
    }
  }
  return mapping;
}

export interface CsvHead {
  delimiter: "," | ";";
  header: string[];
  rows: string[][];
}

export function readHead(text: string, rows = 5): CsvHead {
  const clean = text.replace(/^\uFEFF/, "");
  const delimiter = detectDelimiter(clean.split(/\r?\n/, 1)[0] ?? "");
  const [header = [], ...rest] = parseCsv(clean, delimiter, rows + 1);
  return { delimiter, header: header.map((name) => name.trim()), rows: rest };
}

/**
 * The text of `blob` as the API reads it: UTF-8, a byte-order mark dropped; null when its bytes are
 * not UTF-8. `Blob.text()` would replace such bytes with U+FFFD, so a Latin-1 file (as spreadsheet
 * programs save "CSV" in many languages) would reach the API as valid text with its accented
 * letters silently lost. `partial`: the blob is the start of a file, and a character cut at its end
 * is not an error.
 */
export async function readUtf8(blob: Blob, partial = false): Promise<string | null> {
  const bytes = await blob.arrayBuffer();
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: partial });
  } catch {
    return null;
  }
}

// What the API takes for a binary file (backend/consumo/imports/parser.py: _SIGNATURES): a zip
// (xlsx, ods), PDF, legacy Office, PNG, gzip, GIF or JPEG signature, or a NUL byte.
const BINARY_SIGNATURES = [
  [0x50, 0x4b, 0x03, 0x04],
  [0x25, 0x50, 0x44, 0x46],
  [0xd0, 0xcf, 0x11, 0xe0],
  [0x89, 0x50, 0x4e, 0x47],
  [0x1f, 0x8b],
  [0x47, 0x49, 0x46, 0x38],
  [0xff, 0xd8, 0xff],
];

/** Whether a file's first bytes are a spreadsheet's, archive's or image's rather than text. */
export function looksBinary(head: Uint8Array): boolean {
  return BINARY_SIGNATURES.some((signature) => signature.every((byte, index) => head[index] === byte)) || head.includes(0);
}
