"use client";

import { createContext, useCallback, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from "react";

import { intlLocale, LOCALE_COOKIE } from "./locale";
import { configureZod } from "./zod-messages";
import { MESSAGES, type Locale, type MessageKey } from "./messages";

type Values = Record<string, string | number>;

interface I18n {
  locale: Locale;
  /** The BCP 47 tag for Intl formatting (es-ES, en-GB, or the browser's own region). */
  intl: string;
  t: (key: MessageKey, values?: Values) => string;
  setLocale: (locale: Locale) => void;
}

const I18nContext = createContext<I18n | null>(null);

/**
 * The message `key` in `table`, with its values. When `values.count` is singular in the language
 * (Intl.PluralRules: "one") and the table has a `<key>.one` form, that form is used: "1 record was
 * added." beside "{count} records were added.". A numeric count is written with the language's
 * digit grouping.
 */
export function translate(table: Record<MessageKey, string>, locale: Locale, key: MessageKey, values?: Values): string {
  const count = values?.count;
  const singular = typeof count === "number" && new Intl.PluralRules(locale).select(count) === "one";
  const one = singular ? (table as Record<string, string | undefined>)[`${key}.one`] : undefined;
  // A count reads as the language writes numbers (60,000 / 60.000).
  const shown = typeof count === "number" ? { ...values, count: new Intl.NumberFormat(locale).format(count) } : values;
  return interpolate(one ?? table[key], shown);
}

export function interpolate(template: string, values?: Values): string {
  if (!values) return template;
  return template.replace(/\{(\w+)\}/g, (match, name: string) => (name in values ? String(values[name]) : match));
}

function subscribeLanguages(onChange: () => void): () => void {
  window.addEventListener("languagechange", onChange);
  return () => window.removeEventListener("languagechange", onChange);
}

function readLanguages(): string {
  return navigator.languages.join(",");
}

export function I18nProvider({ initialLocale, children }: { initialLocale: Locale; children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  // The region comes from the browser (es-MX, en-US…); the server renders without it, and the
  // first client render agrees with the server before switching to it.
  const browserLanguageList = useSyncExternalStore(subscribeLanguages, readLanguages, () => "");
  const browserLanguages = useMemo(() => (browserLanguageList ? browserLanguageList.split(",") : undefined), [browserLanguageList]);

  // Zod's error map is global: set once per language, after the render (never during it). No
  // form validates before its first effect has run.
  useEffect(() => {
    configureZod(locale);
    document.documentElement.lang = locale;
  }, [locale]);

  const setLocale = useCallback((next: Locale) => {
    document.cookie = `${LOCALE_COOKIE}=${next}; Path=/; Max-Age=31536000; SameSite=Lax`;
    setLocaleState(next);
  }, []);

  const value = useMemo<I18n>(() => {
    const table = MESSAGES[locale];
    return {
      locale,
      intl: intlLocale(locale, browserLanguages),
      t: (key, values) => translate(table, locale, key, values),
      setLocale,
    };
  }, [locale, browserLanguages, setLocale]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error("useI18n must be used inside <I18nProvider>");
  return value;
}
