"use client";

import type { Meter, MeterBudgetProgress } from "@/client";
import { BudgetBar, OverBudget } from "@/components/BudgetBar";
import { Card } from "@/components/ui";
import { useAuth } from "@/lib/auth/AuthProvider";
import { formatMoney, formatMonth } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { useKpiSummary, type Scope } from "@/lib/kpi-queries";
import { presetRange, projectedPct, todayIn } from "@/lib/kpis";

/** A meter's monthly budget against its cost this month, and where the month is heading. */
export function MeterBudgetCard({ budget, name }: { budget: NonNullable<MeterBudgetProgress>; name: string }) {
  const { t, intl } = useI18n();
  const money = (minor: number) => formatMoney(minor, budget.currency, intl);
  return (
    <Card aria-labelledby={`meter-budget-${budget.meter_id}`}>
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id={`meter-budget-${budget.meter_id}`} className="text-base font-semibold">
          {t("meters.budget.title", { name, month: formatMonth(budget.month_start, intl) })}
        </h2>
        <span className="text-xs text-slate-500 dark:text-slate-400">
          {t("dashboard.card.monthProgress", { elapsed: budget.days_elapsed, days: budget.days_in_month })}
        </span>
      </div>
      <dl className="mt-3 grid gap-3 sm:grid-cols-3">
        <div>
          <dt className="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{t("meters.budget.spent")}</dt>
          <dd className="mt-0.5 text-xl font-bold tabular-nums" data-testid="meter-budget-spent">
            {money(budget.cost_to_date_minor)}
          </dd>
        </div>
        <div>
          <dt className="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{t("meters.budget.projected")}</dt>
          <dd className="mt-0.5 text-xl font-bold tabular-nums" data-testid="meter-budget-projected">
            {money(budget.projected_cost_minor)}
          </dd>
        </div>
        <div>
          <dt className="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{t("meters.form.budget")}</dt>
          <dd className="mt-0.5 text-xl font-bold tabular-nums">{money(budget.limit_minor)}</dd>
        </div>
      </dl>
      <BudgetBar
        label={t("dashboard.budget.cost", { limit: money(budget.limit_minor) })}
        used={budget.used_pct}
        projected={projectedPct(budget.projected_cost_minor, budget.limit_minor)}
      />
      {budget.projected_over_budget && <OverBudget already={(budget.used_pct ?? 0) > 100} />}
    </Card>
  );
}

/**
 * On a meter's page: this month's budget progress, kept live by the KPI queries' polling and by
 * the invalidation that follows usage, top-ups, readings and tariffs. Nothing when it has no budget.
 */
export function MeterBudgetPanel({ meter }: { meter: Meter }) {
  const { user } = useAuth();
  const today = todayIn(user?.tenant.time_zone ?? "UTC");
  // Another member's meter (seen by an owner, admin or viewer) counts that member's records.
  const scope: Scope = user && meter.owner_id !== user.id && user.role !== "member" ? "tenant" : "mine";
  const summary = useKpiSummary(presetRange("this_month", today), { scope, meterId: meter.id });
  const budget = summary.data?.meter_budget;
  if (meter.monthly_budget_minor === null || !budget) return null;
  return <MeterBudgetCard budget={budget} name={meter.name} />;
}
