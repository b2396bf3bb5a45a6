"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo } from "react";

import { type Consumption, type Meter } from "@/client";
import { listConsumptionsInfiniteOptions } from "@/client/@tanstack/react-query.gen";
import { DataTable, rowActionClass, type Column } from "@/components/DataTable";
import { PlusIcon } from "@/components/icons";
import { PanelList } from "@/components/PanelList";
import { costColumn, quantityColumn } from "@/components/record-columns";
import { ButtonLink, Card, LoadMoreButton, Spinner } from "@/components/ui";
import { formatPeriod } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { byCursor } from "@/lib/queries";
import { METER_RECORD_KINDS } from "@/lib/meters";

const PAGE_SIZE = 10;

/** The records measured on a meter (list_consumptions filtered by meter_id), newest first. */
export function MeterRecords({ meter, live = false }: { meter: Meter; live?: boolean }) {
  const { t, intl } = useI18n();
  const list = useInfiniteQuery({
    ...listConsumptionsInfiniteOptions({ query: { meter_id: meter.id, limit: PAGE_SIZE } }),
    ...byCursor,
    // A mobile line's usage arrives on its own; keep the list moving with the gauges.
    refetchInterval: live ? 3_000 : false,
    refetchIntervalInBackground: false,
  });
  const records = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);
  const kinds = METER_RECORD_KINDS[meter.kind];
  const newRecordHref = `/consumptions/new?meter_id=${meter.id}${kinds.length === 1 ? `&kind=${kinds[0]}` : ""}`;

  const columns: Column<Consumption>[] = [
    { key: "period", header: t("list.col.period"), card: "title", cell: (record) => formatPeriod(record.period_start, record.period_end, intl) },
    { key: "kind", header: t("list.col.kind"), cell: (record) => t(`kind.${record.kind}`) },
    quantityColumn(t, intl),
    costColumn(t, intl, { tariffBadge: true }),
    {
      key: "source",
      header: t("meterRecords.source"),
      cell: (record) => <span className="text-slate-600 dark:text-slate-400">{t(`source.${record.source}`)}</span>,
    },
    {
      key: "actions",
      header: t("list.col.actions"),
      headerHidden: true,
      align: "right",
      card: "actions",
      cell: (record) => (
        <Link
          href={`/consumptions/${record.id}`}
          aria-label={t("meterRecords.openNamed", { period: formatPeriod(record.period_start, record.period_end, intl) })}
          className={rowActionClass.edit}
        >
          {t("meterRecords.open")}
        </Link>
      ),
    },
  ];

  return (
    <Card aria-labelledby="meter-records-title">
      <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
        <div>
          <h2 id="meter-records-title" className="text-base font-semibold">
            {t("meterRecords.title")}
          </h2>
          <p className="mt-0.5 text-sm text-slate-600 dark:text-slate-400">
            {t(meter.kind === "mobile_line" ? "meterRecords.subtitleLine" : "meterRecords.subtitle")}
          </p>
        </div>
        <ButtonLink href={newRecordHref} variant="secondary">
          <PlusIcon className="size-4" />
          {t("meterRecords.add")}
        </ButtonLink>
      </div>
      <PanelList query={list} count={records.length} empty={t("meterRecords.empty")}>
        <>
          <DataTable bare caption={t("meterRecords.title")} rows={records} columns={columns} rowKey={(record) => record.id} />
          <div className="mt-3 flex flex-wrap items-center justify-between gap-2 text-sm text-slate-600 dark:text-slate-400">
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
