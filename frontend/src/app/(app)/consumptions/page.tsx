"use client";

import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Suspense, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { toast } from "sonner";

import { deleteConsumption, exportConsumptions, type Consumption } from "@/client";
import { listConsumptionsInfiniteOptions } from "@/client/@tanstack/react-query.gen";
import { zListConsumptionsQuery } from "@/client/zod.gen";
import { DataTable, rowActionClass, type Column } from "@/components/DataTable";
import { costColumn, deletableOnItsOwn, quantityColumn } from "@/components/record-columns";
import { InboxIcon, PlusIcon, SearchIcon } from "@/components/icons";
import { ListFooter } from "@/components/ListFooter";
import { ListSummary } from "@/components/ListSummary";
import { OverlapBadge } from "@/components/OverlapBadge";
import { Alert, Button, ButtonLink, Card, ConfirmDialog, DayField, Loading, PageHeader, SelectField, TextField } from "@/components/ui";
import { filtersFromParams, invalidateRecordQueries, KINDS, SOURCES, type FilterKey, type ListFilters } from "@/lib/consumption";
import { describeError } from "@/lib/errors";
import { formatPeriod } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { useMeterOptions } from "@/lib/meter-queries";
import { knownMeterId } from "@/lib/meters";
import { useTitle } from "@/lib/use-title";
import { ifMatch } from "@/lib/use-versioned-resource";
import { problemOf, statusOf } from "@/lib/problem";
import { byCursor } from "@/lib/queries";

const SORTS = zListConsumptionsQuery.shape.sort.unwrap().unwrap().options;
const PAGE_SIZE = 25;

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

function ConsumptionList() {
  const { t, intl } = useI18n();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const queryClient = useQueryClient();
  useTitle(t("list.title"));
  const meters = useMeterOptions();
  const meterOptions = meters.data ?? [];
  const filters = useMemo((): ListFilters => {
    const { meter_id, ...rest } = filtersFromParams(new URLSearchParams(params.toString()));
    const meterId = knownMeterId(meter_id, meters.data);
    return meterId ? { ...rest, meter_id: meterId } : rest;
  }, [params, meters.data]);
  const filtered = Object.keys(filters).length > 0;
  // The order the API can sort by (the contract's enum; its default when the address has none).
  const sort = useMemo(() => {
    const parsed = zListConsumptionsQuery.shape.sort.safeParse(params.get("sort") ?? undefined);
    return parsed.success ? parsed.data : SORTS[0];
  }, [params]);

  const setFilter = useCallback(
    (key: FilterKey | "sort", value: string) => {
      const next = new URLSearchParams(params.toString());
      if (value) next.set(key, value);
      else next.delete(key);
      const search = next.toString();
      // A new history entry per filter change: Back undoes the last one instead of leaving the list.
      router.push(search ? `${pathname}?${search}` : pathname, { scroll: false });
    },
    [params, pathname, router],
  );

  // The search box answers as you type, but asks the API only once typing pauses.
  const [search, setSearch] = useState(filters.q ?? "");
  const debouncedSearch = useDebounced(search.trim(), 350);
  // Only a pause in typing sends the box to the address; an address changed by Back (which the
  // box then follows) must not be pushed again by the older text still in the debounce.
  const sentSearch = useRef(debouncedSearch);
  useEffect(() => {
    if (debouncedSearch === sentSearch.current) return;
    sentSearch.current = debouncedSearch;
    if (debouncedSearch !== (filters.q ?? "")) setFilter("q", debouncedSearch.slice(0, 100));
  }, [debouncedSearch, filters.q, setFilter]);
  // Back/forward may change `q` in the address; the box follows unless the change came from it.
  const [lastQ, setLastQ] = useState(filters.q ?? "");
  if ((filters.q ?? "") !== lastQ) {
    setLastQ(filters.q ?? "");
    if ((filters.q ?? "") !== debouncedSearch) setSearch(filters.q ?? "");
  }

  const list = useInfiniteQuery({ ...listConsumptionsInfiniteOptions({ query: { ...filters, sort, limit: PAGE_SIZE } }), ...byCursor });

  const records = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);

  // Exactly what the filters show, every page of it, as the API's CSV (sent with the bearer
  // token, so fetched here and handed to the browser as a download).
  const [exporting, setExporting] = useState(false);
  async function exportList() {
    setExporting(true);
    try {
      const response = await exportConsumptions({ query: filters, responseType: "blob", throwOnError: true });
      const disposition = String(response.headers["content-disposition"] ?? "");
      const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? "consumo.csv";
      const url = URL.createObjectURL(response.data as unknown as Blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = name;
      link.click();
      URL.revokeObjectURL(url);
      toast.success(t("list.exported"));
    } catch (error) {
      toast.error(describeError(error, t));
    } finally {
      setExporting(false);
    }
  }

  const [toDelete, setToDelete] = useState<Consumption | null>(null);
  const [deleting, setDeleting] = useState(false);

  async function confirmDelete() {
    if (!toDelete) return;
    setDeleting(true);
    try {
      // Delete exactly the version on screen: one changed since is a 412, never lost silently.
      await deleteConsumption({ path: { consumption_id: toDelete.id }, headers: ifMatch(toDelete), throwOnError: true });
      toast.success(t("form.deleted"));
    } catch (error) {
      toast.error(statusOf(error) === 412 ? t("delete.changed") : describeError(error, t));
    } finally {
      setDeleting(false);
      setToDelete(null);
      await invalidateRecordQueries(queryClient);
    }
  }

  const columns: Column<Consumption>[] = [
    { key: "period", header: t("list.col.period"), card: "title", cell: (record) => formatPeriod(record.period_start, record.period_end, intl) },
    {
      key: "kind",
      header: t("list.col.kind"),
      cell: (record) => (
        <>
          <span className="inline-flex items-center rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200">
            {t(`kind.${record.kind}`)}
          </span>
          {/* Where a record came from, unless typed in by hand: simulated usage, meter readings, imports. */}
          {record.source !== "manual" && (
            <span className="ml-1.5 inline-flex items-center rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700 dark:bg-slate-800 dark:text-slate-200">
              {t(`source.${record.source}`)}
            </span>
          )}
          <OverlapBadge record={record} />
        </>
      ),
    },
    quantityColumn(t, intl),
    costColumn(t, intl),
    {
      key: "notes",
      header: t("list.col.notes"),
      wideOnly: true,
      cellClassName: "max-w-xs truncate text-slate-600 dark:text-slate-400",
      cell: (record) => <span title={record.notes ?? undefined}>{record.notes ?? "—"}</span>,
    },
    {
      key: "actions",
      header: t("list.col.actions"),
      headerHidden: true,
      align: "right",
      card: "actions",
      cell: (record) => {
        const period = formatPeriod(record.period_start, record.period_end, intl);
        return (
          <>
            <Link href={`/consumptions/${record.id}`} aria-label={t("list.editRecord", { period })} className={rowActionClass.edit}>
              {t("common.edit")}
            </Link>
            {deletableOnItsOwn(record) && (
              <button
                type="button"
                onClick={() => setToDelete(record)}
                aria-label={t("list.deleteRecord", { period })}
                className={`ml-1 ${rowActionClass.danger}`}
              >
                {t("common.delete")}
              </button>
            )}
          </>
        );
      },
    },
  ];

  const filterError = list.isError && (statusOf(list.error) === 422 || statusOf(list.error) === 400) ? problemOf(list.error) : null;

  return (
    <div>
      <PageHeader
        title={t("list.title")}
        subtitle={t("list.subtitle")}
        actions={
          <div className="flex flex-wrap gap-2">
            <ButtonLink href="/imports" variant="secondary">
              {t("nav.import")}
            </ButtonLink>
            <Button variant="secondary" onClick={() => void exportList()} busy={exporting}>
              {exporting ? t("list.exporting") : t("list.export")}
            </Button>
            <ButtonLink href="/consumptions/new">
              <PlusIcon className="size-4" />
              {t("nav.new")}
            </ButtonLink>
          </div>
        }
      />

      <Card className="mb-6 p-4">
        <form
          role="search"
          aria-label={t("list.filters")}
          onSubmit={(event) => event.preventDefault()}
          className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4 lg:items-end"
        >
          <SelectField label={t("list.kind")} value={filters.kind ?? ""} onChange={(event) => setFilter("kind", event.target.value)}>
            <option value="">{t("list.allKinds")}</option>
            {KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {t(`kind.${kind}`)}
              </option>
            ))}
          </SelectField>
          <SelectField label={t("list.source")} value={filters.source ?? ""} onChange={(event) => setFilter("source", event.target.value)}>
            <option value="">{t("list.allSources")}</option>
            {SOURCES.map((source) => (
              <option key={source} value={source}>
                {t(`source.${source}`)}
              </option>
            ))}
          </SelectField>
          <SelectField
            label={t("list.overlapping")}
            value={filters.overlapping === undefined ? "" : String(filters.overlapping)}
            onChange={(event) => setFilter("overlapping", event.target.value)}
          >
            <option value="">{t("list.overlapping.any")}</option>
            <option value="true">{t("list.overlapping.true")}</option>
            <option value="false">{t("list.overlapping.false")}</option>
          </SelectField>
          {meterOptions.length > 0 && (
            <SelectField label={t("list.meter")} value={filters.meter_id ?? ""} onChange={(event) => setFilter("meter_id", event.target.value)}>
              <option value="">{t("list.allMeters")}</option>
              {meterOptions.map((meter) => (
                <option key={meter.id} value={meter.id}>
                  {t("form.meterOption", { name: meter.name, identifier: meter.identifier })}
                </option>
              ))}
            </SelectField>
          )}
          <SelectField label={t("list.sort")} value={sort} onChange={(event) => setFilter("sort", event.target.value === SORTS[0] ? "" : event.target.value)}>
            {SORTS.map((each) => (
              <option key={each} value={each}>
                {t(`list.sort.${each}`)}
              </option>
            ))}
          </SelectField>
          <DayField label={t("list.from")} value={filters.from ?? ""} onChange={(event) => setFilter("from", event.target.value)} />
          <DayField label={t("list.to")} value={filters.to ?? ""} onChange={(event) => setFilter("to", event.target.value)} />
          <TextField
            label={t("list.search")}
            type="search"
            placeholder={t("list.searchPlaceholder")}
            maxLength={100}
            value={search}
            onChange={(event) => setSearch(event.target.value)}
          />
          <Button
            variant="ghost"
            disabled={!filtered && search === ""}
            onClick={() => {
              setSearch("");
              router.push(pathname, { scroll: false });
            }}
          >
            {t("list.clear")}
          </Button>
        </form>
      </Card>

      {list.isPending ? (
        <Loading label={t("common.loading")} />
      ) : list.isError ? (
        <Alert title={filterError ? undefined : t("list.loadError")}>
          {filterError ? t("list.invalidFilter", { detail: describeError(list.error, t) }) : describeError(list.error, t)}
          {!filterError && (
            <div className="mt-3">
              <Button variant="secondary" onClick={() => list.refetch()}>
                {t("common.retry")}
              </Button>
            </div>
          )}
        </Alert>
      ) : records.length === 0 ? (
        <Card className="py-14 text-center">
          <div className="mx-auto grid size-14 place-items-center rounded-full bg-emerald-50 text-emerald-700 dark:bg-emerald-950 dark:text-emerald-300">
            {filtered ? <SearchIcon className="size-7" /> : <InboxIcon className="size-7" />}
          </div>
          <h2 className="mt-3 text-lg font-semibold">{filtered ? t("list.empty.filteredTitle") : t("list.empty.title")}</h2>
          <p className="mx-auto mt-1 max-w-md text-sm text-slate-600 dark:text-slate-400">{filtered ? t("list.empty.filteredBody") : t("list.empty.body")}</p>
          <div className="mt-5">
            {filtered ? (
              <Button
                variant="secondary"
                onClick={() => {
                  setSearch("");
                  router.push(pathname);
                }}
              >
                {t("list.clear")}
              </Button>
            ) : (
              <ButtonLink href="/consumptions/new">
                <PlusIcon className="size-4" />
                {t("nav.new")}
              </ButtonLink>
            )}
          </div>
        </Card>
      ) : (
        <>
          <ListSummary filters={filters} />
          <DataTable caption={t("list.title")} rows={records} columns={columns} rowKey={(record) => record.id} />
          <ListFooter list={list} count={records.length} endLabel={t("list.end")} />
        </>
      )}

      <ConfirmDialog
        open={toDelete !== null}
        title={t("delete.title")}
        confirmLabel={deleting ? t("common.deleting") : t("common.delete")}
        cancelLabel={t("common.cancel")}
        busy={deleting}
        onCancel={() => setToDelete(null)}
        onConfirm={confirmDelete}
      >
        {toDelete &&
          t("delete.body", {
            kind: t(`kind.${toDelete.kind}`).toLowerCase(),
            period: formatPeriod(toDelete.period_start, toDelete.period_end, intl),
          })}
      </ConfirmDialog>
    </div>
  );
}

export default function ConsumptionsPage() {
  const { t } = useI18n();
  return (
    <Suspense fallback={<Loading label={t("common.loading")} />}>
      <ConsumptionList />
    </Suspense>
  );
}
