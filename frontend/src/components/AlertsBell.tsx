"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";

import { type Alert } from "@/client";
import { listAlertsOptions } from "@/client/@tanstack/react-query.gen";
import { formatMoney } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import type { MessageKey } from "@/lib/i18n/messages";

import { Button } from "./ui";

function BellIcon({ className }: { className?: string }) {
  return (
    <svg className={className} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
      <path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9" strokeLinecap="round" strokeLinejoin="round" />
      <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

function describe(alert: Alert, t: (key: MessageKey, values?: Record<string, string | number>) => string, intl: string): string {
  const money = (minor: number | null) => (minor !== null && alert.currency ? formatMoney(minor, alert.currency, intl) : "");
  const kind = alert.kind ? t(`kind.${alert.kind}` as MessageKey) : "";
  if (alert.type === "line.balance_low") return t("alerts.balanceLow", { name: alert.meter_name ?? "", balance: money(alert.amount_minor) });
  if (alert.type === "line.allowance_exhausted") return t("alerts.allowanceExhausted", { name: alert.meter_name ?? "", kind });
  return t("alerts.projectedOver", { what: alert.meter_name ?? kind, projected: money(alert.amount_minor), budget: money(alert.limit_minor) });
}

/** The in-app notice of budgets projected over and lines running low or used up. */
export function AlertsBell() {
  const { t, intl } = useI18n();
  const panelId = useId();
  const [open, setOpen] = useState(false);
  const alerts = useQuery({ ...listAlertsOptions(), refetchInterval: 60_000 });
  const items = alerts.data?.items ?? [];
  return (
    <div className="relative">
      <Button
        variant="ghost"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen(!open)}
        aria-label={t("alerts.button", { count: items.length })}
      >
        <BellIcon className="size-5" />
        {items.length > 0 && (
          <span aria-hidden="true" className="rounded-full bg-rose-600 px-1.5 text-xs font-bold text-white">
            {items.length}
          </span>
        )}
      </Button>
      {open && (
        <div
          id={panelId}
          className="absolute right-0 z-40 mt-2 w-72 max-w-[calc(100vw-2rem)] rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-lg dark:border-slate-800 dark:bg-slate-900"
        >
          <p className="mb-2 font-semibold">{t("alerts.title")}</p>
          {items.length === 0 ? (
            <p className="text-slate-600 dark:text-slate-400">{t("alerts.none")}</p>
          ) : (
            <ul className="space-y-2">
              {items.map((alert, index) => (
                <li key={`${alert.type}-${alert.meter_id ?? ""}-${alert.kind ?? ""}-${index}`}>
                  {alert.meter_id ? (
                    <Link href={`/meters/${alert.meter_id}`} className="text-emerald-800 underline dark:text-emerald-300" onClick={() => setOpen(false)}>
                      {describe(alert, t, intl)}
                    </Link>
                  ) : (
                    describe(alert, t, intl)
                  )}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
