"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { useMemo } from "react";

import { type Meter, type TopUp } from "@/client";
import { listTopUpsInfiniteOptions } from "@/client/@tanstack/react-query.gen";
import type { Column } from "@/components/DataTable";
import { PanelTable } from "@/components/PanelList";
import { Card } from "@/components/ui";
import { formatMoney, formatTimestamp } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { byCursor } from "@/lib/queries";

const PAGE_SIZE = 10;

/** A mobile line's top-ups, newest first, each with the balance it left. */
export function TopUpsPanel({ meter }: { meter: Meter }) {
  const { t, intl } = useI18n();
  const list = useInfiniteQuery({
    ...listTopUpsInfiniteOptions({ path: { meter_id: meter.id }, query: { limit: PAGE_SIZE } }),
    ...byCursor,
  });
  const topUps = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);

  const columns: Column<TopUp>[] = [
    { key: "when", header: t("line.topUps.when"), card: "title", cell: (topUp) => formatTimestamp(topUp.created_at, intl) },
    {
      key: "amount",
      header: t("line.topUps.amount"),
      align: "right",
      cell: (topUp) => <span className="font-medium">+{formatMoney(topUp.amount_minor, topUp.currency, intl)}</span>,
    },
    { key: "balance", header: t("line.topUps.balance"), align: "right", cell: (topUp) => formatMoney(topUp.balance_minor, topUp.currency, intl) },
  ];

  return (
    <Card aria-labelledby="top-ups-title">
      <h2 id="top-ups-title" className="text-base font-semibold">
        {t("line.topUps.title")}
      </h2>
      <div className="mt-3">
        <PanelTable list={list} empty={t("line.topUps.empty")} caption={t("line.topUps.title")} rows={topUps} columns={columns} rowKey={(topUp) => topUp.id} />
      </div>
    </Card>
  );
}
