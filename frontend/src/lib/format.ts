// The one place where dates, numbers and money become text. Days (billing periods) are
// `YYYY-MM-DD` strings that mean the same calendar day everywhere: they are never parsed as local
// time; they are formatted as that day at UTC midnight, in UTC.

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function dayToUtcDate(day: string): Date {
  const match = DAY.exec(day);
  if (!match) throw new RangeError(`Not a YYYY-MM-DD day: ${day}`);
  const [, y, m, d] = match;
  return new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
}

export function formatDay(day: string, locale: string, style: "medium" | "long" = "medium"): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: style, timeZone: "UTC" }).format(dayToUtcDate(day));
}

export function formatPeriod(start: string, end: string, locale: string): string {
  const format = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" });
  if (start === end) return format.format(dayToUtcDate(start));
  return format.formatRange(dayToUtcDate(start), dayToUtcDate(end));
}

/** A UTC timestamp from the API (created_at, updated_at), shown in the viewer's time zone. */
export function formatTimestamp(iso: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

export function formatQuantity(quantity: number, locale: string): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 3 }).format(quantity);
}

/** A unit as people read it: the API's units, plus GB for large amounts of mobile data. */
export type ReadableUnit = "kWh" | "m3" | "MB" | "GB" | "min" | "count";

/**
 * A quantity in the unit and precision people read: mobile data from 1,024 MB up in GB (two
 * decimals), minutes with at most one decimal, the rest with up to three (the contract's).
 */
export function readableQuantity(value: number, unit: Exclude<ReadableUnit, "GB">): { value: number; unit: ReadableUnit; digits: number } {
  if (unit === "MB" && Math.abs(value) >= 1024) return { value: value / 1024, unit: "GB", digits: 2 };
  if (unit === "min") return { value, unit, digits: 1 };
  return { value, unit, digits: 3 };
}

/** `readableQuantity` as text with its unit's label ("8 GB", "12.5 min", "182.5 kWh"). */
export function formatReadableQuantity(value: number, unit: Exclude<ReadableUnit, "GB">, locale: string, label: (unit: ReadableUnit) => string): string {
  const shown = readableQuantity(value, unit);
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: shown.digits }).format(shown.value)} ${label(shown.unit)}`;
}

export function formatNumber(value: number, locale: string): string {
  return new Intl.NumberFormat(locale).format(value);
}

/** The number of minor units per major unit of a currency (EUR 2, JPY 0, KWD 3). */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

export function formatMoney(costMinor: number, currency: string, locale: string): string {
  const digits = currencyDigits(currency);
  // Exact for any integer below 2^53: the division is only for display.
  const major = costMinor / 10 ** digits;
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(major);
}

/** A price finer than the minor unit (a tariff's 15.23 cents per kWh → "€0.1523"). */
export function formatUnitPrice(priceMinor: number, currency: string, locale: string): string {
  const digits = currencyDigits(currency);
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits + 4,
  }).format(priceMinor / 10 ** digits);
}

/** Today's calendar day in the viewer's time zone, as `YYYY-MM-DD`. */
export function today(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** A month (given by any of its days) as "Jan 2026" / "ene 2026", for chart axes. */
export function formatMonth(day: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { month: "short", year: "numeric", timeZone: "UTC" }).format(dayToUtcDate(day));
}

/** A day without its year ("5 Jan"), for dense chart axes. */
export function formatDayShort(day: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", timeZone: "UTC" }).format(dayToUtcDate(day));
}

/** A percentage given as 0–100 (one decimal); `signed` adds "+" to rises. */
export function formatPercent(pct: number, locale: string, signed = false): string {
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1, signDisplay: signed ? "exceptZero" : "auto" }).format(pct / 100);
}

/** A short number for chart axes ("1.2K", "1,2 mil"); with a currency, a short amount ("€1.2K"). */
export function formatCompact(value: number, locale: string, currency?: string): string {
  return new Intl.NumberFormat(locale, {
    notation: "compact",
    // Two decimals below 10, so ticks such as 0.25 are not rounded into an uneven "0.3".
    maximumFractionDigits: Math.abs(value) < 10 ? 2 : 1,
    ...(currency ? { style: "currency", currency } : {}),
  }).format(value);
}
