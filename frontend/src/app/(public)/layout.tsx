"use client";

import Link from "next/link";
import type { ReactNode } from "react";

import { Logo } from "@/components/AppShell";
import { LanguageSwitcher, ThemeSwitcher } from "@/components/Preferences";
import { useI18n } from "@/lib/i18n/I18nProvider";

export default function PublicLayout({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  return (
    <div className="flex min-h-screen flex-col bg-gradient-to-b from-emerald-50 to-slate-50 dark:from-slate-900 dark:to-slate-950">
      <header className="mx-auto flex w-full max-w-5xl flex-wrap items-center justify-between gap-3 px-4 py-4">
        <Link href="/login" className="rounded focus-visible:outline-2 focus-visible:outline-emerald-600">
          <Logo />
        </Link>
        <div className="flex flex-wrap items-center gap-3">
          <LanguageSwitcher />
          <ThemeSwitcher />
        </div>
      </header>
      <main id="main" className="flex flex-1 items-start justify-center px-4 pb-16 pt-6 sm:pt-12">
        <div className="w-full max-w-md">
          <p className="mb-6 text-center text-sm text-slate-600 dark:text-slate-400">{t("app.tagline")}</p>
          {children}
        </div>
      </main>
    </div>
  );
}
