"use client";

import { useParams, useRouter } from "next/navigation";
import { useMemo, useState, type ReactNode } from "react";
import { toast } from "sonner";

import { deleteMeter, updateMeter, type Meter, type MeterUpdate } from "@/client";
import { getMeterOptions } from "@/client/@tanstack/react-query.gen";
import { zGetMeterPath } from "@/client/zod.gen";
import { METER_FIELDS, MeterForm, valuesFromMeter } from "@/components/forms/MeterForm";
import { MeterBudgetPanel } from "@/components/MeterBudget";
import { Alert, Button, ButtonLink, Card, ConfirmDialog, Loading, PageHeader } from "@/components/ui";
import { describeError, showErrorOnForm } from "@/lib/errors";
import { formatMoney, formatNumber, formatTimestamp } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { statusOf } from "@/lib/problem";
import { meterQueries, recordQueries } from "@/lib/queries";
import { useTitle } from "@/lib/use-title";
import { useVersionedResource } from "@/lib/use-versioned-resource";

import { LinePanel } from "./LinePanel";
import { MeterRecords } from "./MeterRecords";
import { ReadingsPanel } from "./ReadingsPanel";
import { TariffsPanel } from "./TariffsPanel";
import { TopUpsPanel } from "./TopUpsPanel";

function Detail({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">{term}</dt>
      <dd className="mt-0.5 text-sm tabular-nums">{children}</dd>
    </div>
  );
}

function MeterDetails({ meter }: { meter: Meter }) {
  const { t, intl } = useI18n();
  const money = (minor: number) => formatMoney(minor, meter.currency, intl);
  const plan = meter.plan;
  return (
    <Card aria-labelledby="meter-details-title">
      <h2 id="meter-details-title" className="mb-4 text-base font-semibold">
        {t("meters.details")}
      </h2>
      <dl className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Detail term={t("meters.form.kind")}>{t(`meterKind.${meter.kind}`)}</Detail>
        <Detail term={meter.kind === "mobile_line" ? t("meters.form.number") : t("meters.form.serial")}>
          <span className="font-mono">{meter.identifier}</span>
        </Detail>
        <Detail term={t("form.currency")}>{meter.currency}</Detail>
        <Detail term={t("meters.form.budget")}>{meter.monthly_budget_minor === null ? t("meters.noBudget") : money(meter.monthly_budget_minor)}</Detail>
        {plan && (
          <>
            <Detail term={t("meters.form.dataMb")}>{formatNumber(plan.data_mb, intl)}</Detail>
            <Detail term={t("meters.form.voiceMinutes")}>{formatNumber(plan.voice_minutes, intl)}</Detail>
            <Detail term={t("meters.form.sms")}>{formatNumber(plan.sms, intl)}</Detail>
            <Detail term={t("meters.form.cycleStartDay")}>{formatNumber(plan.cycle_start_day, intl)}</Detail>
            <Detail term={t("meters.form.dataPrice")}>{money(plan.data_mb_price_minor ?? 0)}</Detail>
            <Detail term={t("meters.form.voicePrice")}>{money(plan.voice_minute_price_minor ?? 0)}</Detail>
            <Detail term={t("meters.form.smsPrice")}>{money(plan.sms_price_minor ?? 0)}</Detail>
          </>
        )}
      </dl>
      <p className="mt-4 text-xs text-slate-500 dark:text-slate-400">
        {t("form.meta", { version: meter.version, updated: formatTimestamp(meter.updated_at, intl) })}
      </p>
    </Card>
  );
}

export default function MeterPage() {
  const { t, intl } = useI18n();
  const { id } = useParams<{ id: string }>();
  const router = useRouter();
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);

  // An address that cannot name a meter (not a UUID) is "not found", without asking the API.
  const validId = zGetMeterPath.shape.meter_id.safeParse(id).success;
  const path = { meter_id: id };
  const resource = useVersionedResource({
    query: { ...getMeterOptions({ path }), enabled: validId },
    update: async (body: MeterUpdate, headers) => (await updateMeter({ path, body, headers, throwOnError: true })).data,
    remove: (headers) => deleteMeter({ path, headers, throwOnError: true }),
    // A deleted meter's records lose it; an edited one shows under its new name everywhere.
    affects: () => [...meterQueries(), ...recordQueries()],
  });
  const { query, stale } = resource;
  useTitle(query.data?.name ?? t("meters.title"));
  const initial = useMemo(() => (query.data ? valuesFromMeter(query.data, intl) : null), [query.data, intl]);

  async function handleDelete() {
    try {
      const deleted = await resource.remove();
      setConfirmDelete(false);
      if (!deleted) return;
      toast.success(t("meters.deleted"));
      router.push("/meters");
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
        <PageHeader title={t("meters.title")} />
        <Alert>{notFound ? t("meters.notFound") : describeError(query.error, t)}</Alert>
        <ButtonLink href="/meters" variant="secondary">
          {t("common.back")}
        </ButtonLink>
      </div>
    );
  }

  const meter = query.data;
  return (
    <div className="space-y-6">
      <PageHeader
        title={meter.name}
        subtitle={`${t(`meterKind.${meter.kind}`)} · ${meter.identifier}`}
        actions={
          <>
            <ButtonLink href="/meters" variant="ghost">
              {t("meters.all")}
            </ButtonLink>
            <Button variant="secondary" onClick={() => setEditing((on) => !on)} aria-expanded={editing}>
              {t("common.edit")}
            </Button>
            <Button variant="danger" onClick={() => setConfirmDelete(true)}>
              {t("common.delete")}
            </Button>
          </>
        }
      />
      {stale && (
        <Alert tone="warning" title={t("meters.stale.title")}>
          <p>{t("meters.stale.body")}</p>
          <Button variant="secondary" className="mt-3" onClick={resource.reload} busy={query.isFetching}>
            {t("meters.stale.reload")}
          </Button>
        </Alert>
      )}
      {editing && (
        <Card>
          <h2 className="mb-4 text-lg font-semibold">{t("meters.edit.title")}</h2>
          <MeterForm
            mode="edit"
            initial={initial}
            disabled={stale}
            onCancel={() => setEditing(false)}
            onSubmit={async (body, setError) => {
              try {
                if (!(await resource.save(body))) return;
                toast.success(t("meters.updated"));
                setEditing(false);
              } catch (error) {
                const message = showErrorOnForm(error, METER_FIELDS, setError, t);
                if (message) toast.error(message);
              }
            }}
          />
        </Card>
      )}
      {meter.kind === "mobile_line" ? (
        <>
          <LinePanel meter={meter} />
          <MeterBudgetPanel meter={meter} />
          <TopUpsPanel meter={meter} />
          <MeterDetails meter={meter} />
          <MeterRecords meter={meter} live />
        </>
      ) : (
        <>
          <MeterBudgetPanel meter={meter} />
          <MeterDetails meter={meter} />
          <div className="grid gap-6 xl:grid-cols-2">
            <ReadingsPanel meter={meter} />
            <TariffsPanel meter={meter} />
          </div>
          <MeterRecords meter={meter} />
        </>
      )}
      <ConfirmDialog
        open={confirmDelete}
        title={t("meters.delete.title")}
        confirmLabel={resource.removing ? t("common.deleting") : t("common.delete")}
        cancelLabel={t("common.cancel")}
        busy={resource.removing}
        onCancel={() => setConfirmDelete(false)}
        onConfirm={handleDelete}
      >
        {t("meters.delete.body", { name: meter.name })}
      </ConfirmDialog>
    </div>
  );
}
