"use client";

import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { toast } from "sonner";

import { createTariff, type Meter, type Tariff } from "@/client";
import { deleteTariffMutation, listTariffsInfiniteOptions } from "@/client/@tanstack/react-query.gen";
import { TARIFF_FIELDS, TariffForm } from "@/components/forms/TariffForm";
import { rowActionClass, type Column } from "@/components/DataTable";
import { PanelTable } from "@/components/PanelList";
import { Card, ConfirmDialog } from "@/components/ui";
import { describeError, showErrorOnForm } from "@/lib/errors";
import { formatDay, formatUnitPrice } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { byCursor } from "@/lib/queries";
import { indexUnit, invalidateMeterData } from "@/lib/meters";
import { statusOf } from "@/lib/problem";

const PAGE_SIZE = 25;

/** A utility meter's tariff history (newest first), a form to add one, and removal. */
export function TariffsPanel({ meter }: { meter: Meter }) {
  const { t, intl } = useI18n();
  const queryClient = useQueryClient();
  const unit = indexUnit(meter.kind) ?? "kWh";
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [toRemove, setToRemove] = useState<Tariff | null>(null);

  const list = useInfiniteQuery({
    ...listTariffsInfiniteOptions({ path: { meter_id: meter.id }, query: { limit: PAGE_SIZE } }),
    ...byCursor,
  });
  const tariffs = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);

  const removal = useMutation({
    ...deleteTariffMutation(),
    onSuccess: () => toast.success(t("tariffs.removed")),
    onError: (error) => toast.error(describeError(error, t)),
    onSettled: async () => {
      setToRemove(null);
      await invalidateMeterData(queryClient, meter.id);
    },
  });
  const remove = () => toRemove && removal.mutate({ path: { meter_id: meter.id, tariff_id: toRemove.id } });

  const price = (minor: number) => formatUnitPrice(minor, meter.currency, intl);
  const columns: Column<Tariff>[] = [
    { key: "from", header: t("tariffs.validFrom"), card: "title", cell: (tariff) => formatDay(tariff.valid_from, intl) },
    { key: "unitPrice", header: t("tariffs.unitPrice", { unit: t(`unit.${unit}`) }), align: "right", cell: (tariff) => price(tariff.unit_price_minor) },
    { key: "fixed", header: t("tariffs.fixedDaily"), align: "right", cell: (tariff) => price(tariff.fixed_daily_minor) },
    {
      key: "actions",
      header: t("list.col.actions"),
      headerHidden: true,
      align: "right",
      card: "actions",
      cell: (tariff) => (
        <button
          type="button"
          onClick={() => setToRemove(tariff)}
          aria-label={t("tariffs.removeNamed", { date: formatDay(tariff.valid_from, intl) })}
          className={rowActionClass.danger}
        >
          {t("tariffs.remove")}
        </button>
      ),
    },
  ];

  return (
    <Card aria-labelledby="tariffs-title">
      <h2 id="tariffs-title" className="text-base font-semibold">
        {t("tariffs.title")}
      </h2>
      <p className="mt-0.5 text-sm text-slate-600 dark:text-slate-400">{t("tariffs.subtitle")}</p>
      <div className="mt-4">
        <PanelTable list={list} empty={t("tariffs.empty")} caption={t("tariffs.title")} rows={tariffs} columns={columns} rowKey={(tariff) => tariff.id} />
      </div>
      <div className="mt-6 border-t border-slate-200 pt-5 dark:border-slate-800">
        <h3 className="mb-3 text-sm font-semibold">{t("tariffs.add")}</h3>
        <TariffForm
          currency={meter.currency}
          unit={unit}
          onSubmit={async (body, setError) => {
            try {
              await createTariff({ path: { meter_id: meter.id }, body, headers: { "Idempotency-Key": key }, throwOnError: true });
              setKey(crypto.randomUUID());
              toast.success(t("tariffs.added"));
              await invalidateMeterData(queryClient, meter.id);
              return true;
            } catch (error) {
              if ([400, 409, 422].includes(statusOf(error) ?? 0)) setKey(crypto.randomUUID());
              const message = showErrorOnForm(error, TARIFF_FIELDS, setError, t);
              if (message) toast.error(message);
              return false;
            }
          }}
        />
      </div>
      <ConfirmDialog
        open={toRemove !== null}
        title={t("tariffs.removeTitle")}
        confirmLabel={removal.isPending ? t("common.deleting") : t("tariffs.remove")}
        cancelLabel={t("common.cancel")}
        busy={removal.isPending}
        onCancel={() => setToRemove(null)}
        onConfirm={remove}
      >
        {toRemove && t("tariffs.removeBody", { date: formatDay(toRemove.valid_from, intl) })}
      </ConfirmDialog>
    </Card>
  );
}
