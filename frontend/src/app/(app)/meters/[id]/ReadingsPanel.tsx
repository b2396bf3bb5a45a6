"use client";

import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo, useState } from "react";
import { toast } from "sonner";

import { createReading, deleteReading, updateReading, type Meter, type Reading } from "@/client";
import { listReadingsInfiniteOptions } from "@/client/@tanstack/react-query.gen";
import { READING_FIELDS, ReadingForm, valuesFromReading } from "@/components/forms/ReadingForm";
import { rowActionClass, type Column } from "@/components/DataTable";
import { PanelTable } from "@/components/PanelList";
import { Alert, Button, Card, ConfirmDialog } from "@/components/ui";
import { describeError, showErrorOnForm } from "@/lib/errors";
import { formatDay, formatQuantity } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { byCursor } from "@/lib/queries";
import { indexUnit, invalidateMeterData } from "@/lib/meters";
import { statusOf } from "@/lib/problem";
import { ifMatch } from "@/lib/use-versioned-resource";

const PAGE_SIZE = 25;

/** A utility meter's readings (newest first): enter one, correct one, delete one. */
export function ReadingsPanel({ meter }: { meter: Meter }) {
  const { t, intl } = useI18n();
  const queryClient = useQueryClient();
  const unit = indexUnit(meter.kind) ?? "kWh";
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [editing, setEditing] = useState<Reading | null>(null);
  const [toDelete, setToDelete] = useState<Reading | null>(null);
  const [stale, setStale] = useState(false);

  const list = useInfiniteQuery({
    ...listReadingsInfiniteOptions({ path: { meter_id: meter.id }, query: { limit: PAGE_SIZE } }),
    ...byCursor,
  });
  const readings = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);
  const editInitial = useMemo(() => (editing ? valuesFromReading(editing, intl) : null), [editing, intl]);

  function startEditing(reading: Reading | null) {
    setStale(false);
    setEditing(reading);
  }

  /** After a 412: read the list again and edit the reading as it is now. */
  async function reloadEditing() {
    const fresh = await list.refetch();
    const current = fresh.data?.pages.flatMap((page) => page.items).find((reading) => reading.id === editing?.id) ?? null;
    startEditing(current);
  }

  const removal = useMutation({
    mutationFn: (reading: Reading) => deleteReading({ path: { meter_id: meter.id, reading_id: reading.id }, headers: ifMatch(reading), throwOnError: true }),
    onSuccess: (_result, reading) => {
      toast.success(t("readings.deleted"));
      if (editing?.id === reading.id) startEditing(null);
    },
    onError: (error) => toast.error(statusOf(error) === 412 ? t("readings.changed") : describeError(error, t)),
    onSettled: async () => {
      setToDelete(null);
      await invalidateMeterData(queryClient, meter.id);
    },
  });
  const confirmDelete = () => toDelete && removal.mutate(toDelete);

  const index = (value: number) => `${formatQuantity(value, intl)} ${t(`unit.${unit}`)}`;
  const columns: Column<Reading>[] = [
    { key: "date", header: t("readings.date"), card: "title", cell: (reading) => formatDay(reading.date, intl) },
    { key: "index", header: t("readings.col.index"), align: "right", cell: (reading) => index(reading.index_value) },
    {
      key: "note",
      header: t("readings.col.note"),
      cellClassName: "text-slate-600 dark:text-slate-400",
      cell: (reading) => (
        <>
          {reading.replacement && (
            <span className="mr-2 rounded bg-amber-50 px-1.5 py-0.5 text-xs font-medium text-amber-900 dark:bg-amber-950 dark:text-amber-100">
              {reading.replaced_meter_final_index === null
                ? t("readings.replaced")
                : t("readings.replacedAt", { index: index(reading.replaced_meter_final_index) })}
            </span>
          )}
          {reading.consumption_id && (
            <Link
              href={`/consumptions/${reading.consumption_id}`}
              className="rounded font-medium text-emerald-700 hover:underline focus-visible:outline-2 focus-visible:outline-emerald-600 dark:text-emerald-400"
            >
              {t("readings.record")}
            </Link>
          )}
          {!reading.replacement && !reading.consumption_id && "—"}
        </>
      ),
    },
    {
      key: "actions",
      header: t("list.col.actions"),
      headerHidden: true,
      align: "right",
      card: "actions",
      cell: (reading) => {
        const date = formatDay(reading.date, intl);
        return (
          <>
            <button type="button" onClick={() => startEditing(reading)} aria-label={t("readings.editNamed", { date })} className={rowActionClass.edit}>
              {t("common.edit")}
            </button>
            <button
              type="button"
              onClick={() => setToDelete(reading)}
              aria-label={t("readings.deleteNamed", { date })}
              className={`ml-1 ${rowActionClass.danger}`}
            >
              {t("common.delete")}
            </button>
          </>
        );
      },
    },
  ];

  return (
    <Card aria-labelledby="readings-title">
      <h2 id="readings-title" className="text-base font-semibold">
        {t("readings.title")}
      </h2>
      <p className="mt-0.5 text-sm text-slate-600 dark:text-slate-400">{t("readings.subtitle")}</p>

      <div className="mt-4 rounded-xl border border-slate-200 p-4 dark:border-slate-800">
        {editing && editInitial ? (
          <>
            <h3 className="mb-3 text-sm font-semibold">{t("readings.editTitle", { date: formatDay(editing.date, intl) })}</h3>
            {stale && (
              <div className="mb-4">
                <Alert tone="warning" title={t("readings.stale.title")}>
                  <p>{t("readings.stale.body")}</p>
                  <Button variant="secondary" className="mt-3" onClick={reloadEditing} busy={list.isFetching}>
                    {t("readings.stale.reload")}
                  </Button>
                </Alert>
              </div>
            )}
            <ReadingForm
              key={`${editing.id}-${editing.version}`}
              mode="edit"
              unit={unit}
              initial={editInitial}
              onCancel={() => startEditing(null)}
              onSubmit={async (body, setError) => {
                try {
                  await updateReading({
                    path: { meter_id: meter.id, reading_id: editing.id },
                    body,
                    headers: ifMatch(editing),
                    throwOnError: true,
                  });
                  toast.success(t("readings.updated"));
                  startEditing(null);
                  await invalidateMeterData(queryClient, meter.id);
                  return true;
                } catch (error) {
                  if (statusOf(error) === 412) {
                    setStale(true);
                    return false;
                  }
                  const message = showErrorOnForm(error, READING_FIELDS, setError, t);
                  if (message) toast.error(message);
                  return false;
                }
              }}
            />
          </>
        ) : (
          <>
            <h3 className="mb-3 text-sm font-semibold">{t("readings.add")}</h3>
            <ReadingForm
              mode="create"
              unit={unit}
              onSubmit={async (body, setError) => {
                try {
                  await createReading({ path: { meter_id: meter.id }, body, headers: { "Idempotency-Key": key }, throwOnError: true });
                  setKey(crypto.randomUUID());
                  toast.success(t("readings.added"));
                  await invalidateMeterData(queryClient, meter.id);
                  return true;
                } catch (error) {
                  if ([400, 409, 422].includes(statusOf(error) ?? 0)) setKey(crypto.randomUUID());
                  const message = showErrorOnForm(error, READING_FIELDS, setError, t);
                  if (message) toast.error(message);
                  return false;
                }
              }}
            />
          </>
        )}
      </div>

      <div className="mt-4">
        <PanelTable
          list={list}
          empty={t("readings.empty")}
          caption={t("readings.title")}
          rows={readings}
          columns={columns}
          rowKey={(reading) => reading.id}
          isCurrent={(reading) => editing?.id === reading.id}
        />
      </div>

      <ConfirmDialog
        open={toDelete !== null}
        title={t("readings.deleteTitle")}
        confirmLabel={removal.isPending ? t("common.deleting") : t("common.delete")}
        cancelLabel={t("common.cancel")}
        busy={removal.isPending}
        onCancel={() => setToDelete(null)}
        onConfirm={confirmDelete}
      >
        {toDelete && t("readings.deleteBody", { date: formatDay(toDelete.date, intl) })}
      </ConfirmDialog>
    </Card>
  );
}
