"use client";

import Link from "next/link";

import type { Meter } from "@/client";
import { Card } from "@/components/ui";
import { formatMoney } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";

/** Each mobile line's prepaid balance, linking to the line (where it is topped up). */
export function LineBalances({ meters }: { meters: readonly Meter[] }) {
  const { t, intl } = useI18n();
  const lines = meters.filter((meter) => meter.kind === "mobile_line" && meter.balance_minor !== null);
  if (lines.length === 0) return null;
  return (
    <Card aria-labelledby="line-balances-title" className="mt-4">
      <h2 id="line-balances-title" className="mb-3 text-base font-semibold">
        {t("dashboard.lines.title")}
      </h2>
      <ul className="divide-y divide-slate-100 dark:divide-slate-800">
        {lines.map((line) => (
          <li key={line.id} className="flex flex-wrap items-baseline justify-between gap-2 py-2 text-sm">
            <Link href={`/meters/${line.id}`} className="font-medium text-emerald-800 underline-offset-2 hover:underline dark:text-emerald-300">
              {line.name}
            </Link>
            <span className="tabular-nums" data-testid="dashboard-line-balance">
              {t("line.balance")}: {formatMoney(line.balance_minor ?? 0, line.currency, intl)}
            </span>
          </li>
        ))}
      </ul>
    </Card>
  );
}
