"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo } from "react";

import { listConsumptions, type Meter } from "@/client";
import { PlusIcon } from "@/components/icons";
import { PanelList } from "@/components/PanelList";
import { ButtonLink, Card, LoadMoreButton, Spinner } from "@/components/ui";
import { formatMoney, formatPeriod, formatQuantity } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { METER_RECORD_KINDS } from "@/lib/meters";

const PAGE_SIZE = 10;

/** The records measured on a meter (list_consumptions filtered by meter_id), newest first. */
export function MeterRecords({ meter, live = false }: { meter: Meter; live?: boolean }) {
  const { t, intl } = useI18n();
  const list = useInfiniteQuery({
    // Under ["consumptions"], so every record change elsewhere refreshes this list too.
    queryKey: ["consumptions", { meter_id: meter.id }],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam, signal }) =>
      (await listConsumptions({ query: { meter_id: meter.id, limit: PAGE_SIZE, cursor: pageParam }, signal, throwOnError: true })).data,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    // A mobile line's usage arrives on its own; keep the list moving with the gauges.
    refetchInterval: live ? 3_000 : false,
    refetchIntervalInBackground: false,
  });
  const records = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);
  const kinds = METER_RECORD_KINDS[meter.kind];
  const newRecordHref = `/consumptions/new?meter_id=${meter.id}${kinds.length === 1 ? `&kind=${kinds[0]}` : ""}`;

  return (
    <Card aria-labelledby="meter-records-title">
      <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
        <div>
          <h2 id="meter-records-title" className="text-base font-semibold">
            {t("meterRecords.title")}
          </h2>
          <p className="mt-0.5 text-sm text-slate-600 dark:text-slate-400">{t(meter.kind === "mobile_line" ? "meterRecords.subtitleLine" : "meterRecords.subtitle")}</p>
        </div>
        <ButtonLink href={newRecordHref} variant="secondary">
          <PlusIcon className="size-4" />
          {t("meterRecords.add")}
        </ButtonLink>
      </div>
      <PanelList query={list} count={records.length} empty={t("meterRecords.empty")}>
        <>
          <div className="overflow-x-auto">
            <table className="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
              <caption className="sr-only">{t("meterRecords.title")}</caption>
              <thead className="text-left text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">
                <tr>
                  <th scope="col" className="py-2 pr-4">{t("list.col.period")}</th>
                  <th scope="col" className="py-2 pr-4">{t("list.col.kind")}</th>
                  <th scope="col" className="py-2 pr-4 text-right">{t("list.col.quantity")}</th>
                  <th scope="col" className="py-2 pr-4 text-right">{t("list.col.cost")}</th>
                  <th scope="col" className="py-2 pr-4">{t("meterRecords.source")}</th>
                  <th scope="col" className="py-2 text-right">
                    <span className="sr-only">{t("list.col.actions")}</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
                {records.map((record) => {
                  const period = formatPeriod(record.period_start, record.period_end, intl);
                  return (
                    <tr key={record.id}>
                      <td className="whitespace-nowrap py-2 pr-4 font-medium">{period}</td>
                      <td className="whitespace-nowrap py-2 pr-4">{t(`kind.${record.kind}`)}</td>
                      <td className="whitespace-nowrap py-2 pr-4 text-right tabular-nums">
                        {formatQuantity(record.quantity, intl)} <span className="text-slate-500 dark:text-slate-400">{t(`unit.${record.unit}`)}</span>
                      </td>
                      <td className="whitespace-nowrap py-2 pr-4 text-right tabular-nums">
                        {record.cost_minor === null ? <span className="text-slate-400">{t("list.noCost")}</span> : formatMoney(record.cost_minor, record.currency, intl)}
                        {record.cost_from_tariff && (
                          <span className="ml-1.5 rounded bg-sky-50 px-1.5 py-0.5 text-xs font-medium text-sky-800 dark:bg-sky-950 dark:text-sky-200">
                            {t("meterRecords.fromTariff")}
                          </span>
                        )}
                      </td>
                      <td className="whitespace-nowrap py-2 pr-4 text-slate-600 dark:text-slate-400">{t(`source.${record.source}`)}</td>
                      <td className="whitespace-nowrap py-2 text-right">
                        <Link
                          href={`/consumptions/${record.id}`}
                          aria-label={t("list.editRecord", { period })}
                          className="rounded px-2 py-1 font-medium text-emerald-700 hover:bg-emerald-50 focus-visible:outline-2 focus-visible:outline-emerald-600 dark:text-emerald-400 dark:hover:bg-emerald-950"
                        >
                          {t("meterRecords.open")}
                        </Link>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <div className="mt-3 flex items-center justify-between text-sm text-slate-500 dark:text-slate-400">
            <span aria-live="polite" className="flex items-center gap-2">
              {t("list.count", { count: records.length })}
              {list.isFetching && !list.isFetchingNextPage && !live && <Spinner className="size-3.5" />}
            </span>
            <LoadMoreButton list={list} label={t("list.more")} busyLabel={t("list.loadingMore")} />
          </div>
        </>
      </PanelList>
    </Card>
  );
}
