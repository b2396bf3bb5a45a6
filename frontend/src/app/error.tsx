"use client";

import { useEffect } from "react";

import { WarningIcon } from "@/components/icons";
import { Button } from "@/components/ui";
import { useI18n } from "@/lib/i18n/I18nProvider";

/** The error boundary of every page: the rest of the app keeps working. */
export default function ErrorBoundary({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const { t } = useI18n();
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <main id="main" role="alert" className="grid min-h-[60vh] place-items-center px-4">
      <div className="max-w-md text-center">
        <div className="mx-auto grid size-14 place-items-center rounded-full bg-amber-50 text-amber-700 dark:bg-amber-950 dark:text-amber-300">
          <WarningIcon className="size-7" />
        </div>
        <h1 className="mt-3 text-2xl font-bold tracking-tight">{t("error.title")}</h1>
        <p className="mt-2 text-slate-600 dark:text-slate-400">{t("error.body")}</p>
        {error.digest && <p className="mt-2 font-mono text-xs text-slate-600 dark:text-slate-400">{error.digest}</p>}
        <div className="mt-6 flex justify-center gap-2">
          <Button onClick={reset}>{t("common.retry")}</Button>
          <Button variant="secondary" onClick={() => window.location.reload()}>
            {t("common.reload")}
          </Button>
        </div>
      </div>
    </main>
  );
}
