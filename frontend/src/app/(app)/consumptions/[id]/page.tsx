"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams, useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { toast } from "sonner";

import { deleteConsumption, getConsumption, updateConsumption, type Consumption, type ConsumptionUpdate } from "@/client";
import { zGetConsumptionPath } from "@/client/zod.gen";
import { CONSUMPTION_FIELDS, ConsumptionForm, valuesFromRecord } from "@/components/forms/ConsumptionForm";
import { Alert, Button, ButtonLink, Card, ConfirmDialog, Loading, PageHeader } from "@/components/ui";
import { invalidateRecordQueries } from "@/lib/consumption";
import { describeError, showErrorOnForm } from "@/lib/errors";
import { etagOf } from "@/lib/etag";
import { formatPeriod, formatTimestamp } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { useMeterOptions } from "@/lib/meter-queries";
import { statusOf } from "@/lib/problem";
import { useTitle } from "@/lib/use-title";

interface Versioned {
  record: Consumption;
  etag: string;
}

export default function EditConsumptionPage() {
  const { t, intl } = useI18n();
  const { id } = useParams<{ id: string }>();
  const router = useRouter();
  const queryClient = useQueryClient();
  useTitle(t("form.edit.title"));
  const [stale, setStale] = useState(false);
  // The changes a 412 refused: "keep my version" sends them again onto the newer version.
  const [refused, setRefused] = useState<ConsumptionUpdate | null>(null);
  const [keeping, setKeeping] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const meters = useMeterOptions();

  // An address that cannot name a record (not a UUID) is "not found", without asking the API.
  const validId = zGetConsumptionPath.shape.consumption_id.safeParse(id).success;
  const query = useQuery({
    enabled: validId,
    queryKey: ["consumption", id],
    queryFn: async (): Promise<Versioned> => {
      const response = await getConsumption({ path: { consumption_id: id }, throwOnError: true });
      return { record: response.data, etag: etagOf(response.headers) };
    },
    staleTime: 0,
  });

  const initial = useMemo(() => (query.data ? valuesFromRecord(query.data.record, intl) : null), [query.data, intl]);

  // The form stays disabled until the other version is in: enabling it first would let an edit
  // start on the old values and then be wiped when the new ones arrive.
  async function reload() {
    const result = await query.refetch();
    if (!result.isError) {
      setStale(false);
      setRefused(null);
    }
  }

  /** Re-applies the refused changes (only the fields this edit changed) onto the current version. */
  async function keepMine() {
    if (!refused) return;
    setKeeping(true);
    try {
      const current = await query.refetch();
      if (current.isError || !current.data) return;
      const response = await updateConsumption({
        path: { consumption_id: id },
        body: refused,
        headers: { "If-Match": current.data.etag },
        throwOnError: true,
      });
      queryClient.setQueryData<Versioned>(["consumption", id], { record: response.data, etag: etagOf(response.headers) });
      await invalidateRecordQueries(queryClient);
      toast.success(t("form.updated"));
      router.push("/consumptions");
    } catch (error) {
      // Changed yet again in between: the alert stays, with the newest version loaded.
      if (statusOf(error) !== 412) toast.error(describeError(error, t));
    } finally {
      setKeeping(false);
    }
  }

  async function handleDelete() {
    if (!query.data) return;
    setDeleting(true);
    try {
      await deleteConsumption({ path: { consumption_id: id }, headers: { "If-Match": query.data.etag }, throwOnError: true });
      await invalidateRecordQueries(queryClient);
      queryClient.removeQueries({ queryKey: ["consumption", id] });
      toast.success(t("form.deleted"));
      router.push("/consumptions");
    } catch (error) {
      setConfirmDelete(false);
      if (statusOf(error) === 412) setStale(true);
      else toast.error(describeError(error, t));
    } finally {
      setDeleting(false);
    }
  }

  if (validId && query.isPending) return <Loading label={t("common.loading")} />;
  if (!validId || query.isError || !query.data || !initial) {
    const notFound = !validId || statusOf(query.error) === 404 || statusOf(query.error) === 400;
    return (
      <div className="mx-auto max-w-3xl space-y-4">
        <PageHeader title={notFound ? t("form.notFoundTitle") : t("form.edit.title")} />
        <Alert title={notFound ? undefined : t("form.loadError")}>{notFound ? t("form.notFound") : describeError(query.error, t)}</Alert>
        <ButtonLink href="/consumptions" variant="secondary">
          {t("common.back")}
        </ButtonLink>
      </div>
    );
  }

  const { record } = query.data;
  // Records derived from readings change only through their readings (the API refuses edits).
  const fromReadings = record.source === "reading";
  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader
        title={t("form.edit.title")}
        subtitle={`${t(`kind.${record.kind}`)} · ${formatPeriod(record.period_start, record.period_end, intl)}`}
        actions={
          !fromReadings && (
            <Button variant="danger" onClick={() => setConfirmDelete(true)}>
              {t("common.delete")}
            </Button>
          )
        }
      />
      {stale && (
        <div className="mb-4">
          <Alert tone="warning" title={t("form.stale.title")}>
            <p>{t("form.stale.body")}</p>
            <div className="mt-3 flex flex-wrap gap-2">
              <Button variant="secondary" onClick={reload} busy={query.isFetching && !keeping}>
                {t("form.stale.reload")}
              </Button>
              {refused && (
                <Button onClick={keepMine} busy={keeping}>
                  {t("form.stale.keepMine")}
                </Button>
              )}
            </div>
          </Alert>
        </div>
      )}
      {fromReadings && (
        <div className="mb-4">
          <Alert tone="info" title={t("form.fromReadings.title")}>
            <p>{t("form.fromReadings.body")}</p>
            {record.meter_id && (
              <ButtonLink href={`/meters/${record.meter_id}`} variant="secondary" className="mt-3">
                {t("form.fromReadings.link")}
              </ButtonLink>
            )}
          </Alert>
        </div>
      )}
      <Card>
        <ConsumptionForm
          mode="edit"
          initial={initial}
          meters={meters.data}
          costFromTariff={record.cost_from_tariff}
          disabled={stale || fromReadings}
          onCancel={() => router.push("/consumptions")}
          onSubmit={async (body, setError) => {
            try {
              const response = await updateConsumption({
                path: { consumption_id: id },
                body,
                headers: { "If-Match": query.data.etag },
                throwOnError: true,
              });
              queryClient.setQueryData<Versioned>(["consumption", id], { record: response.data, etag: etagOf(response.headers) });
              await invalidateRecordQueries(queryClient);
              toast.success(t("form.updated"));
              // The API says how many records of the same kind and meter share a day with this one.
              const overlaps = response.data.overlaps;
              if (overlaps > 0) toast.warning(t("form.overlaps", { count: overlaps }), { duration: 10_000 });
              router.push("/consumptions");
            } catch (error) {
              if (statusOf(error) === 412) {
                setRefused(body);
                setStale(true);
                return;
              }
              const message = showErrorOnForm(error, CONSUMPTION_FIELDS, setError, t);
              if (message) toast.error(message);
            }
          }}
        />
        <p className="mt-6 text-xs text-slate-500 dark:text-slate-400">
          {t("form.meta", { version: record.version, updated: formatTimestamp(record.updated_at, intl) })}
        </p>
      </Card>
      <ConfirmDialog
        open={confirmDelete}
        title={t("delete.title")}
        confirmLabel={deleting ? t("common.deleting") : t("common.delete")}
        cancelLabel={t("common.cancel")}
        busy={deleting}
        onCancel={() => setConfirmDelete(false)}
        onConfirm={handleDelete}
      >
        {t("delete.body", { kind: t(`kind.${record.kind}`).toLowerCase(), period: formatPeriod(record.period_start, record.period_end, intl) })}
      </ConfirmDialog>
    </div>
  );
}
