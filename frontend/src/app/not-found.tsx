"use client";

import { Logo } from "@/components/AppShell";
import { ButtonLink } from "@/components/ui";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { useTitle } from "@/lib/use-title";

export default function NotFound() {
  const { t } = useI18n();
  useTitle(t("notFound.title"));
  return (
    <main id="main" className="grid min-h-screen place-items-center px-4">
      <div className="text-center">
        <div className="mb-8 flex justify-center">
          <Logo />
        </div>
        <p className="text-6xl font-black text-emerald-600 dark:text-emerald-400">404</p>
        <h1 className="mt-4 text-2xl font-bold tracking-tight">{t("notFound.title")}</h1>
        <p className="mt-2 text-slate-600 dark:text-slate-400">{t("notFound.body")}</p>
        <div className="mt-8">
          <ButtonLink href="/">{t("notFound.home")}</ButtonLink>
        </div>
      </div>
    </main>
  );
}
