"use client";

import { WarningIcon } from "@/components/icons";
import { Button, Card, Spinner } from "@/components/ui";
import { useAuth } from "@/lib/auth/AuthProvider";
import { useI18n } from "@/lib/i18n/I18nProvider";

/**
 * Shown instead of a page while the session cannot be checked because the service does not
 * answer: it is not "signed out" (nothing was decided), and the check is retried on its own.
 */
export function ServiceUnreachable() {
  const { t } = useI18n();
  const { retryNow } = useAuth();
  return (
    <Card className="mx-auto max-w-md text-center">
      <div className="mx-auto grid size-12 place-items-center rounded-full bg-amber-50 text-amber-800 dark:bg-amber-950 dark:text-amber-200">
        <WarningIcon className="size-6" />
      </div>
      <h1 className="mt-3 text-xl font-bold tracking-tight">{t("auth.unreachable.title")}</h1>
      <p className="mt-2 text-sm text-slate-600 dark:text-slate-300">{t("auth.unreachable.body")}</p>
      <p role="status" className="mt-3 flex items-center justify-center gap-2 text-sm text-slate-600 dark:text-slate-300">
        <Spinner className="size-4" />
        {t("auth.unreachable.retrying")}
      </p>
      <Button variant="secondary" className="mt-4" onClick={retryNow}>
        {t("auth.unreachable.retry")}
      </Button>
    </Card>
  );
}
