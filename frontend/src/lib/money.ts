import { currencyDigits } from "./format";

export type MinorResult = { ok: true; minor: number | undefined } | { ok: false; reason: "invalid" | "decimals"; digits: number };

/**
 * What the user typed in major units ("42.15", "42,15", "1.234,5", "") → integer minor units,
 * without floating point: the digits are shifted as text. Prices finer than the minor unit (a
 * tariff's 15.23 cents per kWh) allow `fractionOfMinor` more decimals and may be fractional.
 */
export function majorToMinor(input: string, currency: string, fractionOfMinor = 0): MinorResult {
  const digits = currencyDigits(currency) + fractionOfMinor;
  const text = input.trim().replace(/[\s\u00a0\u202f']/g, "");
  if (text === "") return { ok: true, minor: undefined };
  // With both "." and "," the last one is the decimal separator ("1.234,56", "1,234.56"); a
  // separator that appears more than once groups thousands ("1.234.567"); a single one is decimal.
  if (!/^\d[\d.,]*$/.test(text) || /[.,]$/.test(text) || /[.,]{2}/.test(text)) return { ok: false, reason: "invalid", digits };
  const lastDot = text.lastIndexOf(".");
  const lastComma = text.lastIndexOf(",");
  let decimalAt = Math.max(lastDot, lastComma);
  const separator = text.charAt(decimalAt);
  if (decimalAt >= 0 && (lastDot < 0 || lastComma < 0) && text.indexOf(separator) !== decimalAt) decimalAt = -1;
  let whole = decimalAt >= 0 ? text.slice(0, decimalAt) : text;
  const fraction = decimalAt >= 0 ? text.slice(decimalAt + 1) : "";
  if (/[.,]/.test(fraction)) return { ok: false, reason: "invalid", digits };
  whole = whole.replace(/[.,]/g, "");
  if (fraction.length > digits) return { ok: false, reason: "decimals", digits };
  const scaled = Number(whole + fraction.padEnd(digits, "0"));
  if (!Number.isSafeInteger(scaled)) return { ok: false, reason: "invalid", digits };
  // One correctly rounded division: the nearest double to the decimal typed (15.23, not 15.229…).
  return { ok: true, minor: fractionOfMinor === 0 ? scaled : scaled / 10 ** fractionOfMinor };
}

/** Integer minor units → the text a user would type ("42.15"), for editing. */
export function minorToMajorInput(minor: number | null | undefined, currency: string, decimalSeparator = "."): string {
  if (minor === null || minor === undefined) return "";
  const digits = currencyDigits(currency);
  if (digits === 0) return String(minor);
  const text = String(minor).padStart(digits + 1, "0");
  return `${text.slice(0, -digits)}${decimalSeparator}${text.slice(-digits)}`;
}

/** "182,5" or "182.5" → 182.5, "-5" → -5 (the generated schema then says its minimum); anything else → NaN. */
export function parseDecimal(input: string): number {
  const text = input.trim().replace(/[\s\u00a0\u202f]/g, "");
  if (!/^-?\d+(?:[.,]\d+)?$/.test(text)) return Number.NaN;
  return Number(text.replace(",", "."));
}

export function decimalSeparator(locale: string): string {
  return new Intl.NumberFormat(locale).formatToParts(1.5).find((part) => part.type === "decimal")?.value ?? ".";
}
