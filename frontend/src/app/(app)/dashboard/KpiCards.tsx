"use client";

import { useId } from "react";

import type { CostAmount, KindSummary } from "@/client";
import { BudgetBar, OverBudget } from "@/components/BudgetBar";
import { formatMoney, formatMonth, formatPercent, formatQuantity, formatReadableQuantity } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { costIn, projectedPct } from "@/lib/kpis";

import { KIND_COLORS } from "./colors";

function Money({ costs, empty }: { costs: readonly CostAmount[]; empty: string }) {
  const { intl } = useI18n();
  const shown = costs.filter((each) => each.cost_minor > 0);
  if (shown.length === 0) return <span className="text-slate-600 dark:text-slate-400">{empty}</span>;
  return <>{shown.map((each) => formatMoney(each.cost_minor, each.currency, intl)).join(" · ")}</>;
}

/** A change in percent with its direction in words and an arrow; more consumption is shown in rose. */
function Change({ pct, label, partial = false }: { pct: number | null; label: string; partial?: boolean }) {
  const { t, intl } = useI18n();
  if (pct !== null && partial) {
    // The range is not over (bills for it may not have arrived): its change is no verdict.
    return (
      <li className="flex items-baseline justify-between gap-2 text-sm">
        <span className="text-slate-500 dark:text-slate-400">{label}</span>
        <span className="whitespace-nowrap text-slate-600 dark:text-slate-400">
          {t("dashboard.card.partialChange", { pct: formatPercent(pct, intl, true) })}
        </span>
      </li>
    );
  }
  if (pct === null) {
    return (
      <li className="flex items-baseline justify-between gap-2 text-sm">
        <span className="text-slate-500 dark:text-slate-400">{label}</span>
        <span className="whitespace-nowrap text-slate-600 dark:text-slate-400">{t("dashboard.card.noComparison")}</span>
      </li>
    );
  }
  const text = formatPercent(Math.abs(pct), intl);
  const [arrow, words, tone] =
    pct > 0
      ? ["▲", t("dashboard.card.up", { pct: text }), "text-rose-700 dark:text-rose-400"]
      : pct < 0
        ? ["▼", t("dashboard.card.down", { pct: text }), "text-emerald-700 dark:text-emerald-400"]
        : ["■", t("dashboard.card.flat"), "text-slate-600 dark:text-slate-300"];
  return (
    <li className="flex items-baseline justify-between gap-2 text-sm">
      <span className="text-slate-500 dark:text-slate-400">{label}</span>
      <span className={`whitespace-nowrap font-semibold tabular-nums ${tone}`}>
        <span aria-hidden="true" className="mr-1 text-xs">
          {arrow}
        </span>
        {words}
      </span>
    </li>
  );
}

function KpiCard({ summary, partial }: { summary: KindSummary; partial: boolean }) {
  const { t, intl } = useI18n();
  const titleId = useId();
  const month = summary.current_month;
  const budget = month.budget;
  const withUnit = (value: number) => formatReadableQuantity(value, summary.unit, intl, (shown) => t(`unit.${shown}`));

  return (
    <section
      aria-labelledby={titleId}
      className="flex flex-col rounded-2xl border border-slate-200 bg-white p-5 shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <header className="flex items-center justify-between gap-2">
        <h3 id={titleId} className="flex items-center gap-2 font-semibold">
          <span aria-hidden="true" className="size-2.5 rounded-full" style={{ backgroundColor: KIND_COLORS[summary.kind] }} />
          {t(`kind.${summary.kind}`)}
        </h3>
        <span className="text-xs text-slate-500 dark:text-slate-400">{t("dashboard.card.records", { count: formatQuantity(summary.records, intl) })}</span>
      </header>

      <dl className="mt-3 grid grid-cols-2 gap-3">
        <div>
          <dt className="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{t("dashboard.card.quantity")}</dt>
          <dd className="mt-0.5 text-xl font-bold tabular-nums" data-testid="kpi-quantity">
            {withUnit(summary.quantity)}
          </dd>
          <dd className="text-xs text-slate-500 dark:text-slate-400">{t("dashboard.card.perDay", { value: withUnit(summary.average_per_day) })}</dd>
        </div>
        <div>
          <dt className="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{t("dashboard.card.cost")}</dt>
          <dd className="mt-0.5 text-xl font-bold tabular-nums" data-testid="kpi-cost">
            <Money costs={summary.cost} empty="—" />
          </dd>
        </div>
      </dl>

      <ul className="mt-3 space-y-1 border-t border-slate-100 pt-3 dark:border-slate-800">
        <Change pct={summary.change_vs_previous_pct} label={t("dashboard.card.vsPrevious")} partial={partial} />
        <Change pct={summary.change_vs_last_year_pct} label={t("dashboard.card.vsLastYear")} partial={partial} />
      </ul>

      <div className="mt-3 border-t border-slate-100 pt-3 text-sm dark:border-slate-800">
        <p className="flex items-baseline justify-between gap-2">
          <span className="font-medium">{t("dashboard.card.month", { month: formatMonth(month.month_start, intl) })}</span>
          <span className="text-xs text-slate-500 dark:text-slate-400">
            {t("dashboard.card.monthProgress", { elapsed: month.days_elapsed, days: month.days_in_month })}
          </span>
        </p>
        <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-slate-600 dark:text-slate-300">
          <dt>{t("dashboard.card.toDate")}</dt>
          <dd className="text-right tabular-nums">
            {withUnit(month.quantity_to_date)}
            {month.cost_to_date.some((each) => each.cost_minor > 0) && (
              <>
                {" · "}
                <Money costs={month.cost_to_date} empty="" />
              </>
            )}
          </dd>
          <dt>{t("dashboard.card.projected")}</dt>
          <dd className="text-right tabular-nums">
            {withUnit(month.projected_quantity)}
            {month.projected_cost.some((each) => each.cost_minor > 0) && (
              <>
                {" · "}
                <Money costs={month.projected_cost} empty="" />
              </>
            )}
          </dd>
        </dl>

        {budget ? (
          <div className="mt-2">
            {budget.quantity_limit !== null && (
              <BudgetBar
                label={t("dashboard.budget.quantity", { limit: withUnit(budget.quantity_limit) })}
                used={budget.quantity_used_pct}
                projected={projectedPct(month.projected_quantity, budget.quantity_limit)}
              />
            )}
            {budget.cost_limit_minor !== null && budget.currency && (
              <BudgetBar
                label={t("dashboard.budget.cost", { limit: formatMoney(budget.cost_limit_minor, budget.currency, intl) })}
                used={budget.cost_used_pct}
                projected={projectedPct(costIn(month.projected_cost, budget.currency), budget.cost_limit_minor)}
              />
            )}
            {budget.projected_over_budget && <OverBudget already={(budget.quantity_used_pct ?? 0) > 100 || (budget.cost_used_pct ?? 0) > 100} />}
          </div>
        ) : (
          <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">{t("dashboard.budget.none")}</p>
        )}
      </div>
    </section>
  );
}

/**
 * The cards of the kinds with data. `partial`: the range runs to today, so its last days (and bills
 * not yet arrived) are missing; its changes against earlier periods are marked as partial, not shown
 * as a rise or a fall.
 */
export function KpiCards({ kinds, partial = false }: { kinds: readonly KindSummary[]; partial?: boolean }) {
  const { t } = useI18n();
  return (
    <>
      {partial && (
        <p role="note" className="mb-3 text-sm text-slate-600 dark:text-slate-400">
          {t("dashboard.partialNotice")}
        </p>
      )}
      <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
        {kinds.map((summary) => (
          <KpiCard key={summary.kind} summary={summary} partial={partial} />
        ))}
      </div>
    </>
  );
}
