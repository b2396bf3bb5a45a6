"use client";

import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { toast } from "sonner";

import { createMeter, deleteMeter, type Meter } from "@/client";
import { listMetersInfiniteOptions } from "@/client/@tanstack/react-query.gen";
import { emptyMeterValues, METER_FIELDS, MeterForm } from "@/components/forms/MeterForm";
import { DataTable, rowActionClass, type Column } from "@/components/DataTable";
import { InboxIcon, PlusIcon } from "@/components/icons";
import { ListFooter } from "@/components/ListFooter";
import { Alert, Button, Card, ConfirmDialog, Loading, PageHeader } from "@/components/ui";
import { useAuth } from "@/lib/auth/AuthProvider";
import { describeError, showErrorOnForm } from "@/lib/errors";
import { formatMoney } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { byCursor, invalidate, meterQueries, recordQueries } from "@/lib/queries";
import { ifMatch } from "@/lib/use-versioned-resource";
import { statusOf } from "@/lib/problem";
import { useTitle } from "@/lib/use-title";

const PAGE_SIZE = 25;

export default function MetersPage() {
  const { t, intl } = useI18n();
  const { user } = useAuth();
  const router = useRouter();
  const queryClient = useQueryClient();
  useTitle(t("meters.title"));
  const [creating, setCreating] = useState(false);
  // One key per form: a retried submit replays instead of adding the meter twice.
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());
  const initial = useMemo(() => emptyMeterValues(user?.tenant.default_currency ?? "EUR"), [user]);

  const list = useInfiniteQuery({
    ...listMetersInfiniteOptions({ query: { limit: PAGE_SIZE } }),
    ...byCursor,
  });
  const meters = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);

  const [toDelete, setToDelete] = useState<Meter | null>(null);
  // Delete exactly the version on screen: a meter changed since is a 412, never lost silently.
  const removal = useMutation({
    mutationFn: (meter: Meter) => deleteMeter({ path: { meter_id: meter.id }, headers: ifMatch(meter), throwOnError: true }),
    onSuccess: () => toast.success(t("meters.deleted")),
    onError: (error) => toast.error(statusOf(error) === 412 ? t("meters.delete.changed") : describeError(error, t)),
    onSettled: async () => {
      setToDelete(null);
      await invalidate(queryClient, [...meterQueries(), ...recordQueries()]);
    },
  });
  const confirmDelete = () => toDelete && removal.mutate(toDelete);

  const none = <span className="text-slate-600 dark:text-slate-400">{t("list.noCost")}</span>;
  const columns: Column<Meter>[] = [
    {
      key: "name",
      header: t("meters.col.name"),
      card: "title",
      cell: (meter) => (
        <Link
          href={`/meters/${meter.id}`}
          className="rounded text-emerald-700 hover:underline focus-visible:outline-2 focus-visible:outline-emerald-600 dark:text-emerald-400"
        >
          {meter.name}
        </Link>
      ),
    },
    {
      key: "kind",
      header: t("meters.col.kind"),
      cell: (meter) => (
        <span className="inline-flex items-center rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200">
          {t(`meterKind.${meter.kind}`)}
        </span>
      ),
    },
    { key: "identifier", header: t("meters.col.identifier"), cell: (meter) => <span className="font-mono text-xs">{meter.identifier}</span> },
    {
      key: "budget",
      header: t("meters.col.budget"),
      align: "right",
      cell: (meter) => (meter.monthly_budget_minor === null ? none : formatMoney(meter.monthly_budget_minor, meter.currency, intl)),
    },
    {
      key: "balance",
      header: t("meters.col.balance"),
      align: "right",
      cell: (meter) => (meter.balance_minor === null ? none : formatMoney(meter.balance_minor, meter.currency, intl)),
    },
    {
      key: "actions",
      header: t("list.col.actions"),
      headerHidden: true,
      align: "right",
      card: "actions",
      cell: (meter) => (
        <button type="button" onClick={() => setToDelete(meter)} aria-label={t("meters.deleteNamed", { name: meter.name })} className={rowActionClass.danger}>
          {t("common.delete")}
        </button>
      ),
    },
  ];

  const addButton = (
    <Button onClick={() => setCreating(true)} disabled={creating}>
      <PlusIcon className="size-4" />
      {t("meters.add")}
    </Button>
  );

  return (
    <div>
      <PageHeader title={t("meters.title")} subtitle={t("meters.subtitle")} actions={addButton} />

      {creating && (
        <Card className="mb-6">
          <h2 className="mb-4 text-lg font-semibold">{t("meters.new.title")}</h2>
          <MeterForm
            mode="create"
            initial={initial}
            onCancel={() => setCreating(false)}
            onSubmit={async (body, setError) => {
              try {
                const created = await createMeter({ body, headers: { "Idempotency-Key": idempotencyKey }, throwOnError: true });
                await invalidate(queryClient, meterQueries());
                toast.success(t("meters.created"));
                router.push(`/meters/${created.data.id}`);
              } catch (error) {
                // The body was refused: a corrected one is a new request and needs a new key.
                if ([400, 409, 422].includes(statusOf(error) ?? 0)) setIdempotencyKey(crypto.randomUUID());
                const message = showErrorOnForm(error, METER_FIELDS, setError, t);
                if (message) toast.error(message);
              }
            }}
          />
        </Card>
      )}

      {list.isPending ? (
        <Loading label={t("common.loading")} />
      ) : list.isError ? (
        <Alert title={t("meters.loadError")}>
          {describeError(list.error, t)}
          <div className="mt-3">
            <Button variant="secondary" onClick={() => list.refetch()}>
              {t("common.retry")}
            </Button>
          </div>
        </Alert>
      ) : meters.length === 0 ? (
        !creating && (
          <Card className="py-14 text-center">
            <div className="mx-auto grid size-14 place-items-center rounded-full bg-emerald-50 text-emerald-700 dark:bg-emerald-950 dark:text-emerald-300">
              <InboxIcon className="size-7" />
            </div>
            <h2 className="mt-3 text-lg font-semibold">{t("meters.empty.title")}</h2>
            <p className="mx-auto mt-1 max-w-md text-sm text-slate-600 dark:text-slate-400">{t("meters.empty.body")}</p>
            <div className="mt-5">{addButton}</div>
          </Card>
        )
      ) : (
        <>
          <DataTable caption={t("meters.title")} rows={meters} columns={columns} rowKey={(meter) => meter.id} />
          <ListFooter list={list} count={meters.length} endLabel={t("meters.end")} />
        </>
      )}

      <ConfirmDialog
        open={toDelete !== null}
        title={t("meters.delete.title")}
        confirmLabel={removal.isPending ? t("common.deleting") : t("common.delete")}
        cancelLabel={t("common.cancel")}
        busy={removal.isPending}
        onCancel={() => setToDelete(null)}
        onConfirm={confirmDelete}
      >
        {toDelete && t("meters.delete.body", { name: toDelete.name })}
      </ConfirmDialog>
    </div>
  );
}
