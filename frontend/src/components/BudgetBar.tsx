"use client";

import { WarningIcon } from "@/components/icons";
import { formatPercent } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { barWidth } from "@/lib/kpis";

/** Used so far (solid) and the projection to month end (hatched, behind it), against a limit. */
export function BudgetBar({ label, used, projected }: { label: string; used: number | null; projected: number | null }) {
  const { t, intl } = useI18n();
  const usedText = used === null ? "—" : formatPercent(used, intl);
  const projectedText = projected === null ? "—" : formatPercent(projected, intl);
  const over = projected !== null && projected > 100;
  return (
    <div className="mt-2">
      <div className="flex items-baseline justify-between gap-2 text-xs text-slate-600 dark:text-slate-400">
        <span>{label}</span>
        <span className="tabular-nums">
          {t("dashboard.budget.used", { pct: usedText })} · {t("dashboard.budget.projected", { pct: projectedText })}
        </span>
      </div>
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(barWidth(used))}
        aria-valuetext={t("dashboard.budget.bar", { used: usedText, projected: projectedText })}
        className="relative mt-1 h-2.5 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800"
      >
        <div
          className={`absolute inset-y-0 left-0 rounded-full ${over ? "bg-rose-300 dark:bg-rose-900" : "bg-emerald-200 dark:bg-emerald-900"}`}
          style={{ width: `${barWidth(projected)}%` }}
        />
        <div
          className={`absolute inset-y-0 left-0 rounded-full ${over ? "bg-rose-600 dark:bg-rose-500" : "bg-emerald-600 dark:bg-emerald-500"}`}
          style={{ width: `${barWidth(used)}%` }}
        />
      </div>
    </div>
  );
}

/** The warning shown when a budget is exceeded already (`already`) or will be by month end. */
export function OverBudget({ already = false }: { already?: boolean }) {
  const { t } = useI18n();
  return (
    <p
      role="status"
      className="mt-2 flex items-center gap-1.5 rounded-lg bg-amber-50 px-2.5 py-1.5 text-xs font-semibold text-amber-900 dark:bg-amber-950/60 dark:text-amber-200"
    >
      <WarningIcon className="size-4 shrink-0" />
      {already ? t("dashboard.budget.overAlready") : t("dashboard.budget.over")}
    </p>
  );
}
