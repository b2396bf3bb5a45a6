"use client";

import { useParams, useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { toast } from "sonner";

import { deleteConsumption, updateConsumption, type ConsumptionUpdate } from "@/client";
import { getConsumptionOptions } from "@/client/@tanstack/react-query.gen";
import { zGetConsumptionPath } from "@/client/zod.gen";
import { CONSUMPTION_FIELDS, ConsumptionForm, valuesFromRecord } from "@/components/forms/ConsumptionForm";
import { Alert, Button, ButtonLink, Card, ConfirmDialog, Loading, PageHeader } from "@/components/ui";
import { describeError, showErrorOnForm } from "@/lib/errors";
import { formatPeriod, formatTimestamp } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { useMeterOptions } from "@/lib/meter-queries";
import { statusOf } from "@/lib/problem";
import { recordQueries } from "@/lib/queries";
import { useTitle } from "@/lib/use-title";
import { useVersionedResource } from "@/lib/use-versioned-resource";

export default function EditConsumptionPage() {
  const { t, intl } = useI18n();
  const { id } = useParams<{ id: string }>();
  const router = useRouter();
  useTitle(t("form.edit.title"));
  const [confirmDelete, setConfirmDelete] = useState(false);
  const meters = useMeterOptions();

  // An address that cannot name a record (not a UUID) is "not found", without asking the API.
  const validId = zGetConsumptionPath.shape.consumption_id.safeParse(id).success;
  const path = { consumption_id: id };
  const resource = useVersionedResource({
    query: { ...getConsumptionOptions({ path }), enabled: validId },
    update: async (body: ConsumptionUpdate, headers) => (await updateConsumption({ path, body, headers, throwOnError: true })).data,
    remove: (headers) => deleteConsumption({ path, headers, throwOnError: true }),
    affects: recordQueries,
  });
  const { query, stale, refused } = resource;

  const initial = useMemo(() => (query.data ? valuesFromRecord(query.data, intl) : null), [query.data, intl]);

  async function keepMine() {
    try {
      if (!(await resource.keepMine())) return;
      toast.success(t("form.updated"));
      router.push("/consumptions");
    } catch (error) {
      toast.error(describeError(error, t));
    }
  }

  async function handleDelete() {
    try {
      const deleted = await resource.remove();
      setConfirmDelete(false);
      if (!deleted) return;
      toast.success(t("form.deleted"));
      router.push("/consumptions");
    } catch (error) {
      setConfirmDelete(false);
      toast.error(describeError(error, t));
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

  const record = query.data;
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
              <Button variant="secondary" onClick={resource.reload} busy={query.isFetching && !resource.keeping}>
                {t("form.stale.reload")}
              </Button>
              {refused && (
                <Button onClick={keepMine} busy={resource.keeping}>
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
              const saved = await resource.save(body);
              if (!saved) return;
              toast.success(t("form.updated"));
              // The API says how many records of the same kind and meter share a day with this one.
              const overlaps = saved.overlaps;
              if (overlaps > 0) toast.warning(t("form.overlaps", { count: overlaps }), { duration: 10_000 });
              router.push("/consumptions");
            } catch (error) {
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
        confirmLabel={resource.removing ? t("common.deleting") : t("common.delete")}
        cancelLabel={t("common.cancel")}
        busy={resource.removing}
        onCancel={() => setConfirmDelete(false)}
        onConfirm={handleDelete}
      >
        {t("delete.body", { kind: t(`kind.${record.kind}`).toLowerCase(), period: formatPeriod(record.period_start, record.period_end, intl) })}
      </ConfirmDialog>
    </div>
  );
}
