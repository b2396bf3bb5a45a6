import { LOCALES, type Locale } from "./messages";

export const LOCALE_COOKIE = "consumo_locale";
export const DEFAULT_LOCALE: Locale = "en";

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** The first supported language of an Accept-Language header (`es-ES,es;q=0.9,en;q=0.8`). */
export function localeFromAcceptLanguage(header: string | null | undefined): Locale {
  const ranked = (header ?? "")
    .split(",")
    .map((part, index) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      return { lang: tag.toLowerCase().split("-")[0] ?? "", q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((entry) => entry.lang && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked.map((entry) => entry.lang).find(isLocale) ?? DEFAULT_LOCALE;
}

/** The BCP 47 tag used with Intl for a UI language (the browser's region when it matches). */
export function intlLocale(locale: Locale, browserLanguages?: readonly string[]): string {
  const match = browserLanguages?.find((tag) => tag.toLowerCase().split("-")[0] === locale);
  if (match && match.includes("-")) return match;
  return locale === "es" ? "es-ES" : "en-GB";
}
