"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { toast } from "sonner";

import { createTopUp, type Allowance, type LineStatus, type Meter } from "@/client";
import { getMeterQueryKey, getMeterStatusOptions, getMeterStatusQueryKey, simulateUsageMutation } from "@/client/@tanstack/react-query.gen";
import { TOP_UP_FIELDS, TopUpForm } from "@/components/forms/TopUpForm";
import { Alert, Button, Card, Loading } from "@/components/ui";
import { describeError, showErrorOnForm } from "@/lib/errors";
import { formatDay, formatMoney, formatNumber, formatPeriod, formatReadableQuantity } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { gaugeOf, invalidateMeterData, type GaugeLevel } from "@/lib/meters";
import { invalidate, meterDataQueries } from "@/lib/queries";
import { statusOf } from "@/lib/problem";

/** How often a visible line page asks for its status: simulated usage shows up within seconds. */
export const STATUS_POLL_MS = 3_000;

const BAR: Record<GaugeLevel, string> = {
  ok: "bg-emerald-600 dark:bg-emerald-500",
  low: "bg-amber-500 dark:bg-amber-400",
  out: "bg-rose-600 dark:bg-rose-500",
  none: "bg-slate-400 dark:bg-slate-600",
};

function AllowanceGauge({ allowance }: { allowance: Allowance }) {
  const { t, intl } = useI18n();
  const labelId = useId();
  const gauge = gaugeOf(allowance);
  const amount = (value: number) => formatReadableQuantity(value, allowance.unit, intl, (shown) => t(`unit.${shown}`));
  const left = t("line.gauge.left", { remaining: amount(allowance.remaining), included: amount(allowance.included) });
  return (
    <div>
      <div className="flex flex-wrap items-baseline justify-between gap-x-3">
        <span id={labelId} className="text-sm font-semibold">
          {t("line.gauge.label", { kind: t(`kind.${allowance.kind}`) })}
        </span>
        <span className="text-sm tabular-nums text-slate-600 dark:text-slate-300">
          {gauge.remainingPct === null
            ? t("line.gauge.noneIncluded")
            : t("line.gauge.of", { remaining: amount(allowance.remaining), included: amount(allowance.included) })}
        </span>
      </div>
      {gauge.remainingPct !== null && (
        <div
          role="meter"
          aria-labelledby={labelId}
          aria-valuemin={0}
          aria-valuemax={allowance.included}
          aria-valuenow={Math.max(0, allowance.remaining)}
          aria-valuetext={left}
          className="mt-1.5 h-3 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800"
        >
          <div className={`h-full rounded-full transition-[width] duration-500 ${BAR[gauge.level]}`} style={{ width: `${gauge.remainingPct}%` }} />
        </div>
      )}
      <p className="mt-1 text-xs text-slate-500 dark:text-slate-400">
        {t("line.gauge.used", { used: amount(allowance.used) })}
        {" · "}
        {gauge.overage > 0
          ? t("line.gauge.overage", { overage: amount(gauge.overage) })
          : allowance.runs_out_on
            ? t("line.gauge.runsOut", { date: formatDay(allowance.runs_out_on, intl) })
            : gauge.remainingPct === null
              ? t("line.gauge.charged")
              : t("line.gauge.lasts")}
      </p>
    </div>
  );
}

function StatusFigures({ status }: { status: LineStatus }) {
  const { t, intl } = useI18n();
  const money = (minor: number) => formatMoney(minor, status.currency, intl);
  return (
    <dl className="grid gap-4 sm:grid-cols-3">
      <div className="rounded-xl bg-slate-50 p-4 dark:bg-slate-800/60">
        <dt className="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">{t("line.balance")}</dt>
        <dd className="mt-1 text-2xl font-bold tabular-nums" data-testid="line-balance">
          {money(status.balance_minor)}
        </dd>
        <dd className="mt-1 text-xs text-slate-500 dark:text-slate-400">
          {status.balance_runs_out_on ? t("line.balanceRunsOut", { date: formatDay(status.balance_runs_out_on, intl) }) : t("line.balanceLasts")}
        </dd>
      </div>
      <div className="rounded-xl bg-slate-50 p-4 dark:bg-slate-800/60">
        <dt className="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">{t("line.spent")}</dt>
        <dd className="mt-1 text-2xl font-bold tabular-nums" data-testid="line-spent">
          {money(status.spent_this_cycle_minor)}
        </dd>
      </div>
      <div className="rounded-xl bg-slate-50 p-4 dark:bg-slate-800/60">
        <dt className="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">{t("line.daysLeft")}</dt>
        <dd className="mt-1 text-2xl font-bold tabular-nums" data-testid="line-days-left">
          {status.days_left === 0 ? t("line.lastDay") : formatNumber(status.days_left, intl)}
        </dd>
        <dd className="mt-1 text-xs text-slate-500 dark:text-slate-400">{t("line.cycleEnds", { date: formatDay(status.cycle_end, intl) })}</dd>
      </div>
    </dl>
  );
}

/** A mobile line: its cycle's allowances and balance (polled while the page is visible), top-ups and simulated usage. */
export function LinePanel({ meter }: { meter: Meter }) {
  const { t, intl } = useI18n();
  const queryClient = useQueryClient();
  const [simulateError, setSimulateError] = useState<string | null>(null);
  // One key per top-up form: a retried submit replays instead of charging twice.
  const [topUpKey, setTopUpKey] = useState(() => crypto.randomUUID());

  const status = useQuery({
    ...getMeterStatusOptions({ path: { meter_id: meter.id } }),
    // TanStack Query stops the interval while the tab is hidden and refetches when it is back.
    refetchInterval: STATUS_POLL_MS,
    refetchIntervalInBackground: false,
    staleTime: STATUS_POLL_MS - 500,
  });

  const simulation = useMutation({
    ...simulateUsageMutation(),
    onMutate: () => setSimulateError(null),
    onSuccess: async (result) => {
      queryClient.setQueryData(getMeterStatusQueryKey({ path: { meter_id: meter.id } }), result.status);
      toast.success(
        result.cost_minor > 0
          ? t("line.simulate.doneCharged", { count: result.records.length, cost: formatMoney(result.cost_minor, meter.currency, intl) })
          : t("line.simulate.done", { count: result.records.length }),
      );
      await invalidateMeterData(queryClient, meter.id);
    },
    onError: (error) => {
      const message = describeError(error, t);
      setSimulateError(statusOf(error) === 422 ? t("line.simulate.refused", { detail: message }) : message);
      toast.error(message);
    },
  });
  // Each press is a new burst: a new key (a retry of the same press would reuse it).
  const simulate = () => simulation.mutate({ path: { meter_id: meter.id }, body: {}, headers: { "Idempotency-Key": crypto.randomUUID() } });

  return (
    <div className="space-y-6">
      <Card aria-labelledby="line-status-title">
        <div className="mb-4 flex flex-wrap items-baseline justify-between gap-2">
          <h2 id="line-status-title" className="text-base font-semibold">
            {t("line.status.title")}
          </h2>
          {status.data && (
            <p className="text-sm text-slate-600 dark:text-slate-400">
              {t("line.status.cycle", {
                period: formatPeriod(status.data.cycle_start, status.data.cycle_end, intl),
                elapsed: status.data.days_elapsed,
              })}
            </p>
          )}
        </div>
        {status.isPending ? (
          <Loading label={t("common.loading")} />
        ) : status.isError ? (
          <Alert>{describeError(status.error, t)}</Alert>
        ) : (
          <div className="space-y-6">
            <StatusFigures status={status.data} />
            <div className="space-y-5">
              {status.data.allowances.map((allowance) => (
                <AllowanceGauge key={allowance.kind} allowance={allowance} />
              ))}
            </div>
          </div>
        )}
      </Card>

      <div className="grid gap-6 lg:grid-cols-2">
        <Card aria-labelledby="line-topup-title">
          <h2 id="line-topup-title" className="text-base font-semibold">
            {t("line.topUp.title")}
          </h2>
          <p className="mb-4 mt-0.5 text-sm text-slate-600 dark:text-slate-400">{t("line.topUp.subtitle")}</p>
          <TopUpForm
            currency={meter.currency}
            onSubmit={async (body, setError) => {
              try {
                const done = await createTopUp({ path: { meter_id: meter.id }, body, headers: { "Idempotency-Key": topUpKey }, throwOnError: true });
                setTopUpKey(crypto.randomUUID());
                toast.success(
                  t("line.topUp.done", {
                    amount: formatMoney(done.data.amount_minor, done.data.currency, intl),
                    balance: formatMoney(done.data.balance_minor, done.data.currency, intl),
                  }),
                );
                await invalidate(queryClient, [...meterDataQueries(meter.id), getMeterQueryKey({ path: { meter_id: meter.id } })]);
                return true;
              } catch (error) {
                if (statusOf(error) === 400 || statusOf(error) === 422) setTopUpKey(crypto.randomUUID());
                const message = showErrorOnForm(error, TOP_UP_FIELDS, setError, t);
                if (message) toast.error(message);
                return false;
              }
            }}
          />
        </Card>
        <Card aria-labelledby="line-simulate-title">
          <h2 id="line-simulate-title" className="text-base font-semibold">
            {t("line.simulate.title")}
          </h2>
          <p className="mb-4 mt-0.5 text-sm text-slate-600 dark:text-slate-400">{t("line.simulate.subtitle")}</p>
          {simulateError && (
            <div className="mb-4">
              <Alert>{simulateError}</Alert>
            </div>
          )}
          <Button onClick={simulate} busy={simulation.isPending}>
            {t("line.simulate.button")}
          </Button>
        </Card>
      </div>
    </div>
  );
}
