"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { useMemo } from "react";

import { listTopUps, type Meter } from "@/client";
import { PanelList } from "@/components/PanelList";
import { Card, LoadMoreButton } from "@/components/ui";
import { formatMoney, formatTimestamp } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { topUpsKey } from "@/lib/meters";

const PAGE_SIZE = 10;

/** A mobile line's top-ups, newest first, each with the balance it left. */
export function TopUpsPanel({ meter }: { meter: Meter }) {
  const { t, intl } = useI18n();
  const list = useInfiniteQuery({
    queryKey: topUpsKey(meter.id),
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam, signal }) =>
      (await listTopUps({ path: { meter_id: meter.id }, query: { limit: PAGE_SIZE, cursor: pageParam }, signal, throwOnError: true })).data,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
  const topUps = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);

  return (
    <Card aria-labelledby="top-ups-title">
      <h2 id="top-ups-title" className="text-base font-semibold">
        {t("line.topUps.title")}
      </h2>
      <div className="mt-3">
        <PanelList query={list} count={topUps.length} empty={t("line.topUps.empty")}>
          <div className="overflow-x-auto">
            <table className="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
              <caption className="sr-only">{t("line.topUps.title")}</caption>
              <thead className="text-left text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">
                <tr>
                  <th scope="col" className="py-2 pr-4">{t("line.topUps.when")}</th>
                  <th scope="col" className="py-2 pr-4 text-right">{t("line.topUps.amount")}</th>
                  <th scope="col" className="py-2 text-right">{t("line.topUps.balance")}</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
                {topUps.map((topUp) => (
                  <tr key={topUp.id}>
                    <td className="whitespace-nowrap py-2 pr-4">{formatTimestamp(topUp.created_at, intl)}</td>
                    <td className="whitespace-nowrap py-2 pr-4 text-right font-medium tabular-nums">
                      +{formatMoney(topUp.amount_minor, topUp.currency, intl)}
                    </td>
                    <td className="whitespace-nowrap py-2 text-right tabular-nums">{formatMoney(topUp.balance_minor, topUp.currency, intl)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {list.hasNextPage && (
              <div className="mt-3 flex justify-end">
                <LoadMoreButton list={list} label={t("list.more")} busyLabel={t("list.loadingMore")} />
              </div>
            )}
          </div>
        </PanelList>
      </div>
    </Card>
  );
}
