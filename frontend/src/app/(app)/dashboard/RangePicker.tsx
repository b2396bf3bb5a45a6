"use client";

import { useState, type FormEvent } from "react";

import { zDay } from "@/client/zod.gen";
import { Button, DayField } from "@/components/ui";
import { formatNumber, formatPeriod } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { daysBetween, RANGE_PRESETS, type DashboardRange, type RangePreset } from "@/lib/kpis";

const MAX_DAYS = 3653;

/** Preset buttons plus a custom from/to form; the page keeps the choice in the URL. */
export function RangePicker({
  range,
  onPreset,
  onCustom,
}: {
  range: DashboardRange;
  onPreset: (preset: Exclude<RangePreset, "custom">) => void;
  onCustom: (from: string, to: string) => void;
}) {
  const { t, intl } = useI18n();
  const [customOpen, setCustomOpen] = useState(false);
  const [from, setFrom] = useState(range.from);
  const [to, setTo] = useState(range.to);
  const [invalid, setInvalid] = useState(false);
  const showCustom = customOpen || range.preset === "custom";

  function apply(event: FormEvent) {
    event.preventDefault();
    const ok = zDay.safeParse(from).success && zDay.safeParse(to).success && from <= to && daysBetween(from, to) <= MAX_DAYS;
    setInvalid(!ok);
    if (ok) onCustom(from, to);
  }

  return (
    <div className="flex min-w-0 max-w-full flex-col gap-3">
      <div role="group" aria-label={t("dashboard.range.label")} className="-mx-1 flex gap-1.5 overflow-x-auto px-1 py-1 sm:flex-wrap">
        {RANGE_PRESETS.map((preset) => {
          const active = preset === "custom" ? showCustom : range.preset === preset && !customOpen;
          return (
            <button
              key={preset}
              type="button"
              aria-pressed={active}
              onClick={() => {
                if (preset === "custom") {
                  setFrom(range.from);
                  setTo(range.to);
                  setCustomOpen(true);
                } else {
                  setCustomOpen(false);
                  setInvalid(false);
                  onPreset(preset);
                }
              }}
              className={
                "shrink-0 whitespace-nowrap rounded-full px-3 py-1.5 text-sm font-medium ring-1 ring-inset transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-600 " +
                (active
                  ? "bg-emerald-700 text-white ring-emerald-700 dark:bg-emerald-500 dark:text-slate-950 dark:ring-emerald-500"
                  : "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50 dark:bg-slate-900 dark:text-slate-200 dark:ring-slate-700 dark:hover:bg-slate-800")
              }
            >
              {t(`dashboard.range.${preset}`)}
            </button>
          );
        })}
      </div>
      {showCustom && (
        <form onSubmit={apply} aria-label={t("dashboard.range.custom")} className="flex flex-wrap items-end gap-3">
          <DayField
            label={t("dashboard.range.from")}
            required
            value={from}
            onChange={(event) => setFrom(event.target.value)}
            error={invalid ? t("dashboard.range.invalid") : undefined}
          />
          <DayField label={t("dashboard.range.to")} required value={to} onChange={(event) => setTo(event.target.value)} />
          <Button type="submit" variant="secondary">
            {t("dashboard.range.apply")}
          </Button>
        </form>
      )}
      <p className="text-sm text-slate-600 dark:text-slate-400">
        {t("dashboard.range.showing", {
          period: formatPeriod(range.from, range.to, intl),
          days: formatNumber(daysBetween(range.from, range.to), intl),
        })}
      </p>
    </div>
  );
}
