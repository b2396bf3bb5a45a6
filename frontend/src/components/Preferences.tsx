"use client";

import { useTheme } from "next-themes";
import { useSyncExternalStore } from "react";

import { useI18n } from "@/lib/i18n/I18nProvider";

import { GlobeIcon, ThemeIcon } from "./icons";
import { isLocale } from "@/lib/i18n/locale";

const selectClass =
  "rounded-md border-0 bg-transparent py-1 pl-2 pr-7 text-sm text-slate-700 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-emerald-600 dark:text-slate-200 dark:ring-slate-700 dark:[&>option]:bg-slate-900";

/** `compactIcon`: the icon only on very wide screens (the app header needs the room for one row). */
export function LanguageSwitcher({ compactIcon = false }: { compactIcon?: boolean }) {
  const { locale, setLocale, t } = useI18n();
  return (
    <label className="flex items-center gap-1.5 text-sm">
      <span className="sr-only">{t("lang.label")}</span>
      <GlobeIcon className={`size-4 text-slate-500 ${compactIcon ? "hidden 2xl:block" : ""}`} />
      <select
        className={selectClass}
        value={locale}
        onChange={(event) => {
          if (isLocale(event.target.value)) setLocale(event.target.value);
        }}
      >
        <option value="en" lang="en">
          English
        </option>
        <option value="es" lang="es">
          Español
        </option>
      </select>
    </label>
  );
}

const noSubscription = () => () => {};

export function ThemeSwitcher({ compactIcon = false }: { compactIcon?: boolean }) {
  const { theme, setTheme } = useTheme();
  const { t } = useI18n();
  // The stored choice is only known in the browser; the server (and hydration) render "system".
  const mounted = useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
  return (
    <label className="flex items-center gap-1.5 text-sm">
      <span className="sr-only">{t("theme.label")}</span>
      <ThemeIcon className={`size-4 text-slate-500 ${compactIcon ? "hidden 2xl:block" : ""}`} />
      <select className={selectClass} value={mounted ? (theme ?? "system") : "system"} onChange={(event) => setTheme(event.target.value)}>
        <option value="system">{t("theme.system")}</option>
        <option value="light">{t("theme.light")}</option>
        <option value="dark">{t("theme.dark")}</option>
      </select>
    </label>
  );
}
