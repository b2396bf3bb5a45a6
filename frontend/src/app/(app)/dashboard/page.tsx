"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Suspense, useCallback, useId, useMemo, useState } from "react";

import type { ConsumptionKind } from "@/client";
import { zConsumptionKind } from "@/client/zod.gen";
import { InboxIcon, PlusIcon } from "@/components/icons";
import { MeterBudgetCard } from "@/components/MeterBudget";
import { DashboardOverlapNotice } from "@/components/OverlapNotice";
import { Alert, Button, ButtonLink, Card, Loading, PageHeader, SelectField, Spinner } from "@/components/ui";
import { useAuth } from "@/lib/auth/AuthProvider";
import { describeError } from "@/lib/errors";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { sectionView, useBudgets, useKpiBreakdown, useKpiSummary, useKpiTimeseries, type KpiFilter, type Scope } from "@/lib/kpi-queries";
import { detailInterval, kindsInSeries, rangeFromParams, rangeToParams, todayIn, type RangePreset } from "@/lib/kpis";
import { useMeterOptions } from "@/lib/meter-queries";
import { knownMeterId, meterIdFromParams } from "@/lib/meters";

import { BudgetsEditor } from "./BudgetsEditor";
import { BreakdownCharts, ChartPanel, DetailLineChart, MonthlyCostCharts, MonthlyKindCharts } from "./charts";
import { KpiCards } from "./KpiCards";
import { LineBalances } from "./LineBalances";
import { RangePicker } from "./RangePicker";

function Dashboard() {
  const { t } = useI18n();
  const { user } = useAuth();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();

  // Days are counted in the tenant's time zone, so "this month" is the tenant's month too.
  const today = todayIn(user?.tenant.time_zone ?? "UTC");
  const range = useMemo(() => rangeFromParams(new URLSearchParams(params.toString()), today), [params, today]);
  const period = useMemo(() => ({ from: range.from, to: range.to }), [range.from, range.to]);
  const canSeeTenant = user !== null && user.role !== "member";
  const scope: Scope = canSeeTenant && params.get("scope") === "tenant" ? "tenant" : "mine";
  const chosenKind = zConsumptionKind.safeParse(params.get("kind"));
  const meters = useMeterOptions();
  const meterOptions = meters.data ?? [];
  const meterId = knownMeterId(meterIdFromParams(new URLSearchParams(params.toString())), meters.data);
  const filter: KpiFilter = { scope, meterId };

  const pushParams = useCallback(
    // A new history entry per change of range or filter: Back returns to the previous view.
    (next: URLSearchParams) => router.push(`${pathname}?${next.toString()}`, { scroll: false }),
    [pathname, router],
  );
  const setParam = (key: string, value: string | null) => {
    const next = new URLSearchParams(params.toString());
    if (value) next.set(key, value);
    else next.delete(key);
    pushParams(next);
  };

  const summary = useKpiSummary(period, filter);
  const monthly = useKpiTimeseries(period, "month", filter);
  const breakdown = useKpiBreakdown(period, filter);
  const budgets = useBudgets();
  const [budgetsOpen, setBudgetsOpen] = useState(false);
  const budgetsId = useId();

  // Each section shows figures only when they are the current range's (see sectionView).
  const summaryView = sectionView(summary);
  const monthlyView = sectionView(monthly);
  const breakdownView = sectionView(breakdown);
  const summaryData = summaryView.state === "ready" ? summaryView.data : undefined;
  const kindsWithData = summaryData?.kinds ?? [];
  const meterBudget = summaryData?.meter_budget ?? null;
  const detailKind: ConsumptionKind | undefined = chosenKind.success
    ? chosenKind.data
    : (kindsWithData.find((kind) => kind.quantity > 0)?.kind ?? kindsWithData[0]?.kind);
  const interval = detailInterval(period);
  const detail = useKpiTimeseries(period, interval, filter, detailKind, detailKind !== undefined);
  const detailView = sectionView(detail);
  const detailData = detailView.state === "ready" ? detailView.data : undefined;
  const detailUnit = detailData?.buckets[0]?.values.find((value) => value.kind === detailKind)?.unit;

  const loadingAny = [summaryView, monthlyView, breakdownView].some((view) => view.state === "loading");
  const detailTotal = kindsWithData.find((kind) => kind.kind === detailKind)?.quantity;
  const monthlyData = monthlyView.state === "ready" ? monthlyView.data : undefined;
  const breakdownData = breakdownView.state === "ready" ? breakdownView.data : undefined;
  const monthlyKinds = monthlyData ? kindsInSeries(monthlyData.buckets) : [];
  const hasCost = (breakdownData?.kinds ?? []).some((kind) => kind.cost_share_pct.some((share) => share.pct > 0));
  /** A failed section's message: the range's figures are not shown, and the polling retries. */
  const failed = (view: { state: string; error?: unknown }) =>
    view.state === "error" ? (view.error ? `${describeError(view.error, t)} ${t("dashboard.rangeError")}` : t("dashboard.rangeError")) : false;

  return (
    <div className="space-y-6">
      <PageHeader
        title={t("dashboard.title")}
        subtitle={t("dashboard.subtitle")}
        actions={
          <span aria-live="polite" className="flex h-9 items-center gap-2 text-sm text-slate-500 dark:text-slate-400">
            {loadingAny && (
              <>
                <Spinner className="size-4" />
                {t("dashboard.updating")}
              </>
            )}
          </span>
        }
      />

      <Card className="flex flex-wrap items-start justify-between gap-4 p-4">
        <RangePicker
          key={`${range.preset}-${range.from}-${range.to}`}
          range={range}
          onPreset={(preset: Exclude<RangePreset, "custom">) => pushParams(rangeToParams({ preset }, new URLSearchParams(params.toString())))}
          onCustom={(from, to) => pushParams(rangeToParams({ preset: "custom", from, to }, new URLSearchParams(params.toString())))}
        />
        {(meterOptions.length > 0 || canSeeTenant) && (
          <div className="flex flex-wrap items-start gap-4">
            {meterOptions.length > 0 && (
              <SelectField
                label={t("dashboard.meter.label")}
                value={meterId ?? ""}
                onChange={(event) => {
                  // Another meter may hold other kinds: the daily chart picks its kind again.
                  const next = new URLSearchParams(params.toString());
                  if (event.target.value) next.set("meter_id", event.target.value);
                  else next.delete("meter_id");
                  next.delete("kind");
                  pushParams(next);
                }}
                className="w-56"
              >
                <option value="">{t("dashboard.meter.all")}</option>
                {meterOptions.map((meter) => (
                  <option key={meter.id} value={meter.id}>
                    {t("form.meterOption", { name: meter.name, identifier: meter.identifier })}
                  </option>
                ))}
              </SelectField>
            )}
            {canSeeTenant && (
              <SelectField
                label={t("dashboard.scope.label")}
                value={scope}
                onChange={(event) => setParam("scope", event.target.value === "tenant" ? "tenant" : null)}
                className="w-56"
              >
                <option value="mine">{t("dashboard.scope.mine")}</option>
                <option value="tenant">{t("dashboard.scope.tenant")}</option>
              </SelectField>
            )}
          </div>
        )}
      </Card>

      <section aria-labelledby="kpi-cards-title" aria-busy={summaryView.state === "loading" || undefined}>
        <h2 id="kpi-cards-title" className="mb-3 text-lg font-semibold">
          {t("dashboard.cards.title")}
        </h2>
        {summaryView.state === "loading" ? (
          <Loading label={t("common.loading")} />
        ) : summaryView.state === "error" ? (
          <Alert title={t("dashboard.loadError")}>
            {failed(summaryView)}
            <div className="mt-3">
              <Button variant="secondary" onClick={() => summary.refetch()}>
                {t("common.retry")}
              </Button>
            </div>
          </Alert>
        ) : kindsWithData.length === 0 ? (
          <Card className="py-12 text-center">
            <div className="mx-auto grid size-14 place-items-center rounded-full bg-emerald-50 text-emerald-700 dark:bg-emerald-950 dark:text-emerald-300">
              <InboxIcon className="size-7" />
            </div>
            <h3 className="mt-3 text-lg font-semibold">{t("dashboard.empty.title")}</h3>
            <p className="mx-auto mt-1 max-w-md text-sm text-slate-600 dark:text-slate-400">{t("dashboard.empty.body")}</p>
            <div className="mt-5">
              <ButtonLink href="/consumptions/new">
                <PlusIcon className="size-4" />
                {t("nav.new")}
              </ButtonLink>
            </div>
          </Card>
        ) : (
          <KpiCards kinds={kindsWithData} partial={range.to >= today} />
        )}
        <DashboardOverlapNotice from={range.from} to={range.to} meterId={meterId} scope={scope} />
        <LineBalances meters={meterOptions} />
        {meterBudget && (
          <div className="mt-4">
            <MeterBudgetCard budget={meterBudget} name={meterOptions.find((meter) => meter.id === meterBudget.meter_id)?.name ?? ""} />
          </div>
        )}
      </section>

      <ChartPanel
        title={t("dashboard.monthly.title")}
        subtitle={t("dashboard.monthly.subtitle")}
        loading={monthlyView.state === "loading"}
        empty={failed(monthlyView) || (monthlyKinds.length === 0 && t("dashboard.chart.empty"))}
      >
        {monthlyData && <MonthlyKindCharts buckets={monthlyData.buckets} />}
      </ChartPanel>

      <div className="grid gap-6 lg:grid-cols-2">
        <ChartPanel
          title={t("dashboard.cost.title")}
          loading={monthlyView.state === "loading" || breakdownView.state === "loading"}
          empty={failed(monthlyView) || failed(breakdownView) || (!hasCost && t("dashboard.breakdown.empty"))}
        >
          {monthlyData && <MonthlyCostCharts buckets={monthlyData.buckets} />}
        </ChartPanel>
        <ChartPanel
          title={t("dashboard.breakdown.title")}
          subtitle={t("dashboard.breakdown.subtitle")}
          loading={breakdownView.state === "loading"}
          empty={failed(breakdownView) || (!hasCost && t("dashboard.breakdown.empty"))}
        >
          {breakdownData && <BreakdownCharts kinds={breakdownData.kinds} />}
        </ChartPanel>
      </div>

      <ChartPanel
        title={interval === "day" ? t("dashboard.daily.title") : t("dashboard.daily.weekly")}
        subtitle={t("dashboard.daily.spreadNote")}
        actions={
          kindsWithData.length > 0 && (
            <SelectField label={t("dashboard.daily.kind")} value={detailKind ?? ""} onChange={(event) => setParam("kind", event.target.value)} className="w-48">
              {kindsWithData.map((kind) => (
                <option key={kind.kind} value={kind.kind}>
                  {t(`kind.${kind.kind}`)}
                </option>
              ))}
            </SelectField>
          )
        }
        loading={summaryView.state === "loading" || (detailKind !== undefined && detailView.state === "loading")}
        empty={failed(summaryView) || (detailKind !== undefined && failed(detailView)) || ((!detailKind || !detailUnit) && t("dashboard.chart.empty"))}
      >
        {detailData && detailKind && detailUnit && (
          <DetailLineChart buckets={detailData.buckets} kind={detailKind} unit={detailUnit} interval={interval} total={detailTotal} />
        )}
      </ChartPanel>

      <Card>
        <div className="flex flex-wrap items-start justify-between gap-3">
          <div>
            <h2 className="text-base font-semibold">{t("dashboard.budgets.title")}</h2>
            <p className="mt-0.5 text-sm text-slate-600 dark:text-slate-400">{t("dashboard.budgets.subtitle")}</p>
          </div>
          {/* Folded by default: the figures come first, the editor only when asked for. */}
          <Button variant="secondary" aria-expanded={budgetsOpen} aria-controls={budgetsId} onClick={() => setBudgetsOpen((open) => !open)}>
            {budgetsOpen ? t("dashboard.budgets.hide") : t("dashboard.budgets.edit")}
          </Button>
        </div>
        {budgetsOpen && (
          <div id={budgetsId}>
            {scope === "tenant" && (
              <div className="mt-3">
                <Alert tone="info">{t("dashboard.budgets.scopeNote")}</Alert>
              </div>
            )}
            <div className="mt-4">
              {budgets.isPending ? (
                <Loading label={t("common.loading")} />
              ) : budgets.isError ? (
                <Alert>{describeError(budgets.error, t)}</Alert>
              ) : (
                <BudgetsEditor budgets={budgets.data.items} defaultCurrency={user?.tenant.default_currency ?? "EUR"} />
              )}
            </div>
          </div>
        )}
      </Card>
    </div>
  );
}

export default function DashboardPage() {
  const { t } = useI18n();
  return (
    <Suspense fallback={<Loading label={t("common.loading")} />}>
      <Dashboard />
    </Suspense>
  );
}
