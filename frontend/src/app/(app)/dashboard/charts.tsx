"use client";

import { useId, type ReactElement, type ReactNode } from "react";
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Legend,
  Line,
  LineChart,
  Pie,
  PieChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
  type TooltipContentProps,
} from "recharts";

import type { ConsumptionKind, KindShare, KpiBucket, Unit } from "@/client";
import { ChartIcon } from "@/components/icons";
import { Spinner } from "@/components/ui";
import { currencyDigits, formatCompact, formatDayShort, formatMoney, formatMonth, formatPercent, formatPeriod, formatQuantity } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { costStacks, kindSeries, kindsInSeries } from "@/lib/kpis";

import { KIND_COLORS } from "./colors";

// Axis text, grid lines and the hover cursor use `currentColor`, so they follow the theme
// through the Tailwind text colour of the frame around each chart.
const TICK = { fill: "currentColor", fontSize: 12 } as const;
const GRID = { stroke: "currentColor", strokeOpacity: 0.15, vertical: false } as const;
const CURSOR = { fill: "currentColor", fillOpacity: 0.08 } as const;

/** A titled panel for one chart, with its loading and empty states. */
export function ChartPanel({
  title,
  subtitle,
  actions,
  loading,
  empty,
  children,
}: {
  title: string;
  subtitle?: string;
  actions?: ReactNode;
  loading: boolean;
  empty: string | false;
  children: ReactNode;
}) {
  const { t } = useI18n();
  const titleId = useId();
  return (
    <section
      aria-labelledby={titleId}
      aria-busy={loading || undefined}
      className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <div className="mb-4 flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 id={titleId} className="text-base font-semibold">
            {title}
          </h2>
          {subtitle && <p className="mt-0.5 text-sm text-slate-600 dark:text-slate-400">{subtitle}</p>}
        </div>
        {actions}
      </div>
      {loading ? (
        <div
          role="status"
          className="grid h-56 animate-pulse place-items-center rounded-xl bg-slate-100 text-sm text-slate-500 dark:bg-slate-800/60 dark:text-slate-400"
        >
          <span className="flex items-center gap-2">
            <Spinner className="size-4" />
            {t("dashboard.chart.loading")}
          </span>
        </div>
      ) : empty ? (
        <div className="grid h-40 place-items-center rounded-xl border border-dashed border-slate-300 text-center text-sm text-slate-500 dark:border-slate-700 dark:text-slate-400">
          <span className="flex flex-col items-center gap-2">
            <ChartIcon className="size-6" />
            {empty}
          </span>
        </div>
      ) : (
        children
      )}
    </section>
  );
}

/** The picture itself: an image to assistive technology, described by a text summary of its data. */
function ChartFigure({ summary, height, className, children }: { summary: string; height: number; className?: string; children: ReactElement }) {
  return (
    <div role="img" aria-label={summary} className={className ?? "text-slate-500 dark:text-slate-400"} style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        {children}
      </ResponsiveContainer>
    </div>
  );
}

function TooltipBox({ title, rows }: { title: string; rows: Array<{ key: string; color?: string; name: string; value: string }> }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white px-3 py-2 text-xs text-slate-900 shadow-lg dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100">
      <p className="mb-1 font-semibold">{title}</p>
      <ul className="space-y-0.5">
        {rows.map((row) => (
          <li key={row.key} className="flex items-center gap-2">
            {row.color && <span aria-hidden="true" className="size-2 rounded-full" style={{ backgroundColor: row.color }} />}
            <span className="text-slate-600 dark:text-slate-300">{row.name}</span>
            <span className="ml-auto pl-3 font-medium tabular-nums">{row.value}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function LegendText({ children }: { children: ReactNode }) {
  return <span className="text-sm text-slate-700 dark:text-slate-300">{children}</span>;
}

function bucketLabel(bucket: { start: string; end: string }, interval: "day" | "week" | "month", intl: string): string {
  if (interval === "day") return formatPeriod(bucket.start, bucket.start, intl);
  if (interval === "month" && bucket.start.endsWith("-01")) return formatMonth(bucket.start, intl);
  return formatPeriod(bucket.start, bucket.end, intl);
}

/** Small multiples: one monthly bar chart per kind, each on an axis in its own unit. */
export function MonthlyKindCharts({ buckets }: { buckets: readonly KpiBucket[] }) {
  const { t, intl } = useI18n();
  const kinds = kindsInSeries(buckets);
  return (
    <div className="grid gap-6 md:grid-cols-2">
      {kinds.map(({ kind, unit }) => (
        <MonthlyKindChart key={kind} buckets={buckets} kind={kind} unit={unit} t={t} intl={intl} />
      ))}
    </div>
  );
}

function MonthlyKindChart({
  buckets,
  kind,
  unit,
  t,
  intl,
}: {
  buckets: readonly KpiBucket[];
  kind: ConsumptionKind;
  unit: Unit;
  t: ReturnType<typeof useI18n>["t"];
  intl: string;
}) {
  const series = kindSeries(buckets, kind);
  const kindName = t(`kind.${kind}`);
  const unitName = t(`unit.${unit}`);
  const withUnit = (value: number) => `${formatQuantity(value, intl)} ${unitName}`;
  const summary = t("dashboard.monthly.summary", {
    kind: kindName,
    unit: unitName,
    values: series.map((point) => `${bucketLabel(point, "month", intl)} ${withUnit(point.quantity)}`).join("; "),
  });
  return (
    <figure data-kind={kind}>
      <figcaption className="mb-2 flex items-center gap-2 text-sm font-medium">
        <span aria-hidden="true" className="size-2.5 rounded-full" style={{ backgroundColor: KIND_COLORS[kind] }} />
        {kindName} <span className="font-normal text-slate-500 dark:text-slate-400">· {unitName}</span>
      </figcaption>
      <ChartFigure summary={summary} height={200}>
        <BarChart data={series} margin={{ top: 4, right: 4, bottom: 0, left: 0 }}>
          <CartesianGrid {...GRID} />
          <XAxis dataKey="start" tick={TICK} tickLine={false} axisLine={false} tickFormatter={(day: string) => formatMonth(day, intl)} minTickGap={12} />
          <YAxis tick={TICK} tickLine={false} axisLine={false} width={52} tickFormatter={(value: number) => formatCompact(value, intl)} />
          <Tooltip
            cursor={CURSOR}
            content={({ active, payload }: TooltipContentProps) => {
              const point = payload?.[0]?.payload as (typeof series)[number] | undefined;
              if (!active || !point) return null;
              return (
                <TooltipBox
                  title={bucketLabel(point, "month", intl)}
                  rows={[{ key: kind, color: KIND_COLORS[kind], name: kindName, value: withUnit(point.quantity) }]}
                />
              );
            }}
          />
          <Legend formatter={() => <LegendText>{`${kindName} (${unitName})`}</LegendText>} iconType="circle" iconSize={8} />
          <Bar dataKey="quantity" name={kindName} fill={KIND_COLORS[kind]} radius={[4, 4, 0, 0]} maxBarSize={48} isAnimationActive={false} />
        </BarChart>
      </ChartFigure>
    </figure>
  );
}

/** Cost per month stacked by kind: the one measure that may be added across kinds, per currency. */
export function MonthlyCostCharts({ buckets }: { buckets: readonly KpiBucket[] }) {
  const { t, intl } = useI18n();
  const stacks = costStacks(buckets);
  return (
    <div className="space-y-6">
      {stacks.map(({ currency, kinds, rows }) => {
        const digits = currencyDigits(currency);
        const money = (major: number) => formatMoney(Math.round(major * 10 ** digits), currency, intl);
        const total = (row: (typeof rows)[number]) => kinds.reduce((sum, kind) => sum + (row[kind] ?? 0), 0);
        const summary = t("dashboard.cost.summary", {
          currency,
          values: rows
            .map((row) => `${bucketLabel(row, "month", intl)}: ${kinds.map((kind) => `${t(`kind.${kind}`)} ${money(row[kind] ?? 0)}`).join(", ")}`)
            .join("; "),
        });
        return (
          <figure key={currency} data-currency={currency}>
            {stacks.length > 1 && <figcaption className="mb-2 text-sm font-medium">{currency}</figcaption>}
            <ChartFigure summary={summary} height={260}>
              <BarChart data={rows} margin={{ top: 4, right: 4, bottom: 0, left: 0 }}>
                <CartesianGrid {...GRID} />
                <XAxis dataKey="start" tick={TICK} tickLine={false} axisLine={false} tickFormatter={(day: string) => formatMonth(day, intl)} minTickGap={12} />
                <YAxis tick={TICK} tickLine={false} axisLine={false} width={64} tickFormatter={(value: number) => formatCompact(value, intl, currency)} />
                <Tooltip
                  cursor={CURSOR}
                  content={({ active, payload }: TooltipContentProps) => {
                    const row = payload?.[0]?.payload as (typeof rows)[number] | undefined;
                    if (!active || !row) return null;
                    return (
                      <TooltipBox
                        title={bucketLabel(row, "month", intl)}
                        rows={[
                          ...kinds.map((kind) => ({ key: kind, color: KIND_COLORS[kind], name: t(`kind.${kind}`), value: money(row[kind] ?? 0) })),
                          { key: "total", name: t("dashboard.cost.total"), value: money(total(row)) },
                        ]}
                      />
                    );
                  }}
                />
                <Legend formatter={(value: string) => <LegendText>{value}</LegendText>} iconType="circle" iconSize={8} itemSorter={null} />
                {kinds.map((kind, index) => (
                  <Bar
                    key={kind}
                    dataKey={kind}
                    name={t(`kind.${kind}`)}
                    stackId="cost"
                    fill={KIND_COLORS[kind]}
                    maxBarSize={56}
                    radius={index === kinds.length - 1 ? [4, 4, 0, 0] : undefined}
                    isAnimationActive={false}
                  />
                ))}
              </BarChart>
            </ChartFigure>
          </figure>
        );
      })}
    </div>
  );
}

/** One kind's quantity per day (or per week for ranges too long for day buckets). */
export function DetailLineChart({
  buckets,
  kind,
  unit,
  interval,
  total,
}: {
  buckets: readonly KpiBucket[];
  kind: ConsumptionKind;
  unit: Unit;
  interval: "day" | "week";
  /** The range's exact total (the summary's); adding rounded buckets would drift. */
  total?: number;
}) {
  const { t, intl } = useI18n();
  const series = kindSeries(buckets, kind);
  const kindName = t(`kind.${kind}`);
  const unitName = t(`unit.${unit}`);
  const withUnit = (value: number) => `${formatQuantity(value, intl)} ${unitName}`;
  const max = series.reduce((best, point) => (point.quantity > best.quantity ? point : best), series[0] ?? { start: "", end: "", quantity: 0 });
  const summary =
    series.length === 0
      ? t("dashboard.chart.empty")
      : t("dashboard.daily.summary", {
          kind: kindName,
          from: formatPeriod(series[0]?.start ?? "", series[0]?.start ?? "", intl),
          to: formatPeriod(series.at(-1)?.end ?? "", series.at(-1)?.end ?? "", intl),
          unit: unitName,
          interval: t(`dashboard.daily.${interval}`),
          total: withUnit(total ?? series.reduce((sum, point) => sum + point.quantity, 0)),
          max: withUnit(max.quantity),
          maxDay: max.start ? bucketLabel(max, interval, intl) : "—",
        });
  return (
    <ChartFigure summary={summary} height={260}>
      <LineChart data={series} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid {...GRID} />
        <XAxis dataKey="start" tick={TICK} tickLine={false} axisLine={false} tickFormatter={(day: string) => formatDayShort(day, intl)} minTickGap={24} />
        <YAxis tick={TICK} tickLine={false} axisLine={false} width={52} tickFormatter={(value: number) => formatCompact(value, intl)} />
        <Tooltip
          cursor={{ stroke: "currentColor", strokeOpacity: 0.3 }}
          content={({ active, payload }: TooltipContentProps) => {
            const point = payload?.[0]?.payload as (typeof series)[number] | undefined;
            if (!active || !point) return null;
            return (
              <TooltipBox
                title={bucketLabel(point, interval, intl)}
                rows={[{ key: kind, color: KIND_COLORS[kind], name: kindName, value: withUnit(point.quantity) }]}
              />
            );
          }}
        />
        <Legend formatter={() => <LegendText>{`${kindName} (${unitName})`}</LegendText>} iconType="plainline" />
        <Line
          type="monotone"
          dataKey="quantity"
          name={kindName}
          stroke={KIND_COLORS[kind]}
          strokeWidth={2}
          dot={series.length <= 45}
          activeDot={{ r: 4 }}
          isAnimationActive={false}
        />
      </LineChart>
    </ChartFigure>
  );
}

/** A donut per currency: each kind's share of what was spent in that currency. */
export function BreakdownCharts({ kinds }: { kinds: readonly KindShare[] }) {
  const { t, intl } = useI18n();
  const currencies = [...new Set(kinds.flatMap((kind) => kind.cost_share_pct.map((share) => share.currency)))].sort();
  return (
    <div className="grid gap-6 sm:grid-cols-2">
      {currencies.map((currency) => {
        const slices = kinds
          .map((kind) => ({
            kind: kind.kind,
            name: t(`kind.${kind.kind}`),
            pct: kind.cost_share_pct.find((share) => share.currency === currency)?.pct ?? 0,
            costMinor: kind.cost.find((cost) => cost.currency === currency)?.cost_minor ?? 0,
          }))
          .filter((slice) => slice.pct > 0);
        const summary = t("dashboard.breakdown.summary", {
          currency,
          values: slices.map((slice) => `${slice.name} ${formatPercent(slice.pct, intl)} (${formatMoney(slice.costMinor, currency, intl)})`).join(", "),
        });
        return (
          <figure key={currency} data-currency={currency}>
            <figcaption className="mb-1 text-center text-sm font-medium">{currency}</figcaption>
            <ChartFigure summary={summary} height={240} className="text-white dark:text-slate-900">
              <PieChart>
                <Tooltip
                  content={({ active, payload }: TooltipContentProps) => {
                    const slice = payload?.[0]?.payload as (typeof slices)[number] | undefined;
                    if (!active || !slice) return null;
                    return (
                      <TooltipBox
                        title={slice.name}
                        rows={[
                          {
                            key: slice.kind,
                            color: KIND_COLORS[slice.kind],
                            name: formatPercent(slice.pct, intl),
                            value: formatMoney(slice.costMinor, currency, intl),
                          },
                        ]}
                      />
                    );
                  }}
                />
                <Legend formatter={(value: string) => <LegendText>{value}</LegendText>} iconType="circle" iconSize={8} itemSorter={null} />
                <Pie
                  data={slices}
                  dataKey="pct"
                  nameKey="name"
                  innerRadius="55%"
                  outerRadius="85%"
                  paddingAngle={1}
                  stroke="currentColor"
                  isAnimationActive={false}
                >
                  {slices.map((slice) => (
                    <Cell key={slice.kind} fill={KIND_COLORS[slice.kind]} />
                  ))}
                </Pie>
              </PieChart>
            </ChartFigure>
          </figure>
        );
      })}
    </div>
  );
}
