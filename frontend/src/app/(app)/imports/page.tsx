"use client";

import { useInfiniteQuery, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useRef, useState, type DragEvent } from "react";
import { toast } from "sonner";

import { commitImport, createImport, deleteImport, getImport, revertImport, type ConsumptionKind, type Import, type ImportState } from "@/client";
import { listImportErrorsInfiniteOptions, listImportRowsInfiniteOptions, listImportsOptions, listImportsQueryKey } from "@/client/@tanstack/react-query.gen";
import { Alert, Button, Card, CheckboxField, ConfirmDialog, LoadMoreButton, PageHeader, SelectField } from "@/components/ui";
import { invalidateRecordQueries, KINDS } from "@/lib/consumption";
import { IMPORT_FIELDS, REQUIRED_FIELDS, guessMapping, looksBinary, readHead, readUtf8, type CsvHead, type ImportField, type Mapping } from "@/lib/csv-preview";
import { describeError } from "@/lib/errors";
import { formatNumber, formatTimestamp } from "@/lib/format";
import { byCursor } from "@/lib/queries";
import { useI18n } from "@/lib/i18n/I18nProvider";
import type { MessageKey } from "@/lib/i18n/messages";
import { useTitle } from "@/lib/use-title";

const MAX_BYTES = 50 * 1024 * 1024;
// States whose work goes on in the background (the page polls them), and those that may be discarded.
const WORKING: ImportState[] = ["validating", "committing", "reverting"];
const DISCARDABLE: ImportState[] = ["validating", "rejected", "ready", "failed", "reverted"];
type DateFormat = "iso" | "dmy" | "mdy";

function Progress({ value, label }: { value: number; label: string }) {
  return (
    <div>
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
        className="h-3 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-700"
      >
        <div className="h-full bg-emerald-600 transition-all" style={{ width: `${value}%` }} />
      </div>
      <p className="mt-1 text-sm text-slate-700 dark:text-slate-300">
        {label}: {value}%
      </p>
    </div>
  );
}

const PAGE = 100;

function Preview({ job }: { job: Import }) {
  const { t, intl } = useI18n();
  // A page of 100 at a time; "Show more" for the next.
  const errors = useInfiniteQuery({
    ...listImportErrorsInfiniteOptions({ path: { import_id: job.id }, query: { limit: PAGE } }),
    ...byCursor,
    enabled: job.error_rows > 0,
  });
  const duplicates = useInfiniteQuery({
    ...listImportRowsInfiniteOptions({ path: { import_id: job.id }, query: { duplicates: true, limit: PAGE } }),
    ...byCursor,
    enabled: job.duplicate_rows > 0,
  });
  const errorItems = errors.data?.pages.flatMap((page) => page.items) ?? [];
  // A row error names the field it is about (cost_minor is the cost, in minor units): shown in the user's language.
  const columnLabel = (column: string) => {
    const field = column === "cost_minor" ? "cost" : column;
    return (IMPORT_FIELDS as readonly string[]).includes(field) ? t(`import.field.${field as ImportField}`) : column;
  };
  const duplicateItems = duplicates.data?.pages.flatMap((page) => page.items) ?? [];
  const counts: Array<[MessageKey, number]> = [
    ["import.count.total", job.total_rows],
    ["import.count.valid", job.valid_rows],
    ["import.count.errors", job.error_rows],
    ["import.count.duplicates", job.duplicate_rows],
  ];
  return (
    <div className="space-y-4">
      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4">
        {counts.map(([key, value]) => (
          <div key={key} className="rounded-lg border border-slate-200 p-3 dark:border-slate-700">
            <dt className="text-sm text-slate-700 dark:text-slate-300">{t(key)}</dt>
            <dd className="text-2xl font-semibold">{formatNumber(value, intl)}</dd>
          </div>
        ))}
      </dl>
      {job.error_rows > 0 && (
        <div className="overflow-x-auto" tabIndex={0} role="region" aria-label={t("import.errors.title")}>
          <table className="w-full text-left text-sm">
            <caption className="mb-2 text-left font-medium">{t("import.errors.title")}</caption>
            <thead>
              <tr>
                <th scope="col" className="pr-3">
                  {t("import.errors.row")}
                </th>
                <th scope="col" className="pr-3">
                  {t("import.errors.column")}
                </th>
                <th scope="col">{t("import.errors.message")}</th>
              </tr>
            </thead>
            <tbody>
              {errorItems.map((error, index) => (
                <tr key={`${error.row}-${error.column}-${index}`} className="border-t border-slate-200 dark:border-slate-700">
                  <td className="pr-3">{error.row}</td>
                  <td className="pr-3">{columnLabel(error.column)}</td>
                  <td className="break-words">{error.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="mt-2">
            <LoadMoreButton list={errors} label={t("import.more")} busyLabel={t("list.loadingMore")} />
          </div>
        </div>
      )}
      {job.duplicate_rows > 0 && (
        <div className="overflow-x-auto" tabIndex={0} role="region" aria-label={t("import.duplicates.title")}>
          <table className="w-full text-left text-sm">
            <caption className="mb-2 text-left font-medium">{t("import.duplicates.title")}</caption>
            <thead>
              <tr>
                <th scope="col" className="pr-3">
                  {t("import.errors.row")}
                </th>
                <th scope="col" className="pr-3">
                  {t("import.field.kind")}
                </th>
                <th scope="col" className="pr-3">
                  {t("import.duplicates.period")}
                </th>
                <th scope="col">{t("import.duplicates.why")}</th>
              </tr>
            </thead>
            <tbody>
              {duplicateItems.map((row) => (
                <tr key={row.row} className="border-t border-slate-200 dark:border-slate-700">
                  <td className="pr-3">{row.row}</td>
                  <td className="pr-3">{t(`kind.${row.kind}`)}</td>
                  <td className="pr-3">
                    {row.period_start} – {row.period_end}
                  </td>
                  <td>{t(row.duplicate === "file" ? "import.duplicates.file" : "import.duplicates.existing")}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="mt-2">
            <LoadMoreButton list={duplicates} label={t("import.more")} busyLabel={t("list.loadingMore")} />
          </div>
        </div>
      )}
    </div>
  );
}

function History({ onChanged, onReview }: { onChanged: () => void; onReview: (job: Import) => void }) {
  const { t, intl } = useI18n();
  const queryClient = useQueryClient();
  const [undoing, setUndoing] = useState<Import | null>(null);
  const history = useQuery({
    ...listImportsOptions({ query: { limit: 50 } }),
    refetchInterval: (query) => (query.state.data?.items.some((job) => WORKING.includes(job.state)) ? 1000 : false),
  });
  function counts(job: Import): string {
    if (job.state === "committed") return t("import.history.recorded", { count: job.records_created });
    if (job.state === "reverted" || job.state === "reverting") return t("import.history.removed", { count: job.records_created });
    if (job.state === "validating") return "";
    return t("import.history.valid", { count: job.valid_rows });
  }
  async function act(job: Import, action: "revert" | "discard") {
    try {
      if (action === "revert") await revertImport({ path: { import_id: job.id }, throwOnError: true });
      else await deleteImport({ path: { import_id: job.id }, throwOnError: true });
      toast.success(t(action === "revert" ? "import.reverted" : "import.discarded"));
    } catch (error) {
      toast.error(describeError(error, t));
    }
    await queryClient.invalidateQueries({ queryKey: listImportsQueryKey() });
    await invalidateRecordQueries(queryClient);
    onChanged();
  }
  const items = history.data?.items ?? [];
  return (
    <Card className="p-4">
      <h2 className="mb-3 text-lg font-semibold">{t("import.history")}</h2>
      {history.isRefetchError && (
        <div className="mb-3">
          <Alert tone="warning">{t("import.unreachable")}</Alert>
        </div>
      )}
      {items.length === 0 ? (
        <p className="text-sm text-slate-700 dark:text-slate-300">{t("import.history.empty")}</p>
      ) : (
        <ul className="divide-y divide-slate-200 dark:divide-slate-700">
          {items.map((job) => (
            <li key={job.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
              <div className="min-w-0">
                <p className="truncate font-medium">{job.filename ?? t("import.unnamed")}</p>
                <p className="text-sm text-slate-700 dark:text-slate-300">
                  {[formatTimestamp(job.created_at, intl), t(`import.state.${job.state}`), counts(job)].filter(Boolean).join(" · ")}
                </p>
              </div>
              <div className="flex gap-2">
                {job.state === "ready" && (
                  <Button variant="secondary" onClick={() => onReview(job)} aria-label={t("import.reviewNamed", { name: job.filename ?? "" })}>
                    {t("import.review")}
                  </Button>
                )}
                {job.state === "committed" && (
                  <Button variant="secondary" onClick={() => setUndoing(job)} aria-label={t("import.revertNamed", { name: job.filename ?? "" })}>
                    {t("import.revert")}
                  </Button>
                )}
                {DISCARDABLE.includes(job.state) && (
                  <Button variant="secondary" onClick={() => void act(job, "discard")} aria-label={t("import.discardNamed", { name: job.filename ?? "" })}>
                    {t("import.discard")}
                  </Button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      <ConfirmDialog
        open={undoing !== null}
        title={t("import.revertTitle")}
        confirmLabel={t("import.revert")}
        cancelLabel={t("common.cancel")}
        onCancel={() => setUndoing(null)}
        onConfirm={() => {
          const job = undoing;
          setUndoing(null);
          if (job) void act(job, "revert");
        }}
      >
        <p>{t("import.revertBody", { count: undoing?.records_created ?? 0, name: undoing?.filename ?? t("import.unnamed") })}</p>
      </ConfirmDialog>
    </Card>
  );
}

export default function ImportsPage() {
  const { t } = useI18n();
  useTitle(t("import.title"));
  const queryClient = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [head, setHead] = useState<CsvHead | null>(null);
  const [mapping, setMapping] = useState<Mapping>({});
  const [kind, setKind] = useState<ConsumptionKind | "">("");
  const [dateFormat, setDateFormat] = useState<DateFormat>("iso");
  const [job, setJob] = useState<Import | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [skipDuplicates, setSkipDuplicates] = useState(true);
  const [dragging, setDragging] = useState(false);
  const [pollFailed, setPollFailed] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const resultHeading = useRef<HTMLHeadingElement>(null);

  async function choose(chosen: File | undefined) {
    setJob(null);
    setProblem(null);
    if (!chosen) return;
    if (chosen.size > MAX_BYTES) {
      setProblem(t("import.tooLarge"));
      return;
    }
    if (chosen.size === 0) {
      setProblem(t("import.empty"));
      return;
    }
    const start = chosen.slice(0, 64 * 1024);
    // A spreadsheet, archive or image, as the API judges it: a known signature or a NUL byte.
    if (looksBinary(new Uint8Array(await start.arrayBuffer()))) {
      setProblem(t("problem.import.not_csv"));
      return;
    }
    const text = await readUtf8(start, true);
    if (text === null) {
      setProblem(t("problem.import.not_utf8"));
      return;
    }
    const read = readHead(text);
    setFile(chosen);
    setHead(read);
    setMapping(guessMapping(read.header));
    setDateFormat(/^\d{4}-\d{2}-\d{2}$/.test(read.rows[0]?.[read.header.indexOf(guessMapping(read.header).period_start ?? "")] ?? "") ? "iso" : "dmy");
  }

  function onDrop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    void choose(event.dataTransfer.files[0]);
  }

  const missing = REQUIRED_FIELDS.filter((field) => !mapping[field]);
  const needsKind = !mapping.kind && !kind;

  async function check() {
    if (!file) return;
    setBusy(true);
    setProblem(null);
    try {
      const query: Record<string, string> = { date_format: dateFormat, filename: file.name.slice(0, 255) };
      for (const field of IMPORT_FIELDS) if (mapping[field]) query[`column_${field}`] = mapping[field];
      if (kind) query.kind = kind;
      const body = await readUtf8(file);
      if (body === null) {
        setProblem(t("problem.import.not_utf8"));
        return;
      }
      const { data } = await createImport({ body, query, throwOnError: true });
      setJob(data);
      resultHeading.current?.focus();
      await queryClient.invalidateQueries({ queryKey: listImportsQueryKey() });
    } catch (error) {
      setProblem(describeError(error, t));
    } finally {
      setBusy(false);
    }
  }

  async function commit() {
    if (!job) return;
    setBusy(true);
    try {
      const { data } = await commitImport({ path: { import_id: job.id }, query: { skip_duplicates: skipDuplicates }, throwOnError: true });
      setJob(data);
      // The history shows it recording (and no longer offers to discard it).
      await queryClient.invalidateQueries({ queryKey: listImportsQueryKey() });
    } catch (error) {
      setProblem(describeError(error, t));
    } finally {
      setBusy(false);
    }
  }

  // While a large file is checked, or the commit runs, in the background, its progress comes from the import itself.
  const working = job?.state === "validating" || job?.state === "committing";
  useEffect(() => {
    if (!working || !job) return;
    const timer = setInterval(() => {
      void getImport({ path: { import_id: job.id } })
        .then(({ data }) => {
          // No answer (the API or the network is down): say so, and keep polling.
          setPollFailed(!data);
          if (data) setJob(data);
        })
        .catch(() => setPollFailed(true));
    }, 1000);
    return () => clearInterval(timer);
  }, [working, job]);
  // Once the background work ends (checked, rejected or recorded), the history and, after a commit, the records change.
  useEffect(() => {
    if (job?.state === "committed") void invalidateRecordQueries(queryClient);
    if (job?.state === "committed" || job?.state === "ready" || job?.state === "rejected") {
      void queryClient.invalidateQueries({ queryKey: listImportsQueryKey() });
    }
  }, [job?.state, queryClient]);

  function setField(field: ImportField, header: string) {
    setMapping((current) => ({ ...current, [field]: header || undefined }));
    setJob(null);
  }

  return (
    <div className="space-y-6">
      <PageHeader title={t("import.title")} subtitle={t("import.subtitle")} />

      <Card className="space-y-4 p-4">
        <h2 className="text-lg font-semibold">{t("import.step.file")}</h2>
        <div
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
          className={`rounded-lg border-2 border-dashed p-6 text-center ${dragging ? "border-emerald-600 bg-emerald-50 dark:bg-emerald-950" : "border-slate-300 dark:border-slate-600"}`}
        >
          <p className="mb-3 text-sm text-slate-700 dark:text-slate-300">{t("import.drop")}</p>
          <label className="inline-flex cursor-pointer items-center rounded-md bg-emerald-700 px-4 py-2 text-sm font-medium text-white focus-within:outline-2 focus-within:outline-emerald-600">
            {t("import.choose")}
            <input ref={input} type="file" accept=".csv,text/csv" className="sr-only" onChange={(event) => void choose(event.target.files?.[0])} />
          </label>
          {file && <p className="mt-3 break-all text-sm">{file.name}</p>}
        </div>
        <p className="text-sm text-slate-700 dark:text-slate-300">
          {t("import.format")}{" "}
          <a className="underline" href="/import-sample.csv" download>
            {t("import.sample")}
          </a>
        </p>
      </Card>

      {head && (
        <Card className="space-y-4 p-4">
          <h2 className="text-lg font-semibold">{t("import.step.mapping")}</h2>
          <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
            {IMPORT_FIELDS.map((field) => (
              <SelectField
                key={field}
                label={t(`import.field.${field}`)}
                value={mapping[field] ?? ""}
                onChange={(event) => setField(field, event.target.value)}
              >
                <option value="">{t("import.noColumn")}</option>
                {head.header.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </SelectField>
            ))}
            {!mapping.kind && (
              <SelectField label={t("import.kindForAll")} value={kind} onChange={(event) => setKind(event.target.value as ConsumptionKind | "")}>
                <option value="">—</option>
                {KINDS.map((value) => (
                  <option key={value} value={value}>
                    {t(`kind.${value}`)}
                  </option>
                ))}
              </SelectField>
            )}
            <SelectField label={t("import.dateFormat")} value={dateFormat} onChange={(event) => setDateFormat(event.target.value as DateFormat)}>
              <option value="iso">2026-01-31</option>
              <option value="dmy">31/01/2026</option>
              <option value="mdy">01/31/2026</option>
            </SelectField>
          </div>
          <div className="overflow-x-auto" tabIndex={0} role="region" aria-label={t("import.firstRows")}>
            <table className="w-full text-left text-sm">
              <caption className="mb-2 text-left font-medium">{t("import.firstRows")}</caption>
              <thead>
                <tr>
                  {head.header.map((name) => (
                    <th key={name} scope="col" className="pr-3 whitespace-nowrap">
                      {name}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {head.rows.map((row, index) => (
                  <tr key={index} className="border-t border-slate-200 dark:border-slate-700">
                    {head.header.map((name, column) => (
                      <td key={name} className="max-w-40 truncate pr-3">
                        {row[column] ?? ""}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {(missing.length > 0 || needsKind) && (
            <Alert tone="warning">
              {t("import.missing", { fields: [...(needsKind ? ["kind" as const] : []), ...missing].map((field) => t(`import.field.${field}`)).join(", ") })}
            </Alert>
          )}
          <Button onClick={() => void check()} disabled={busy || missing.length > 0 || needsKind}>
            {busy && !job ? t("import.checking") : t("import.check")}
          </Button>
        </Card>
      )}

      {problem && <Alert>{problem}</Alert>}

      {job && (
        <Card className="space-y-4 p-4">
          <h2 ref={resultHeading} tabIndex={-1} className="text-lg font-semibold focus:outline-none">
            {t("import.step.result")}
          </h2>
          {working && pollFailed && <Alert tone="warning">{t("import.unreachable")}</Alert>}
          {job.state === "validating" && <Progress value={job.progress} label={t("import.checkProgress")} />}
          {job.state === "rejected" && <Alert>{job.failure ?? t("common.unexpected")}</Alert>}
          {job.state !== "validating" && job.state !== "rejected" && <Preview job={job} />}
          {job.state === "ready" && (
            <div className="space-y-3">
              {job.duplicate_rows > 0 && (
                <CheckboxField label={t("import.skipDuplicates")} checked={skipDuplicates} onChange={(event) => setSkipDuplicates(event.target.checked)} />
              )}
              <Button onClick={() => void commit()} disabled={busy || job.valid_rows === 0}>
                {t("import.commit", { count: skipDuplicates ? job.valid_rows - job.duplicate_rows : job.valid_rows })}
              </Button>
            </div>
          )}
          {(job.state === "committing" || job.state === "committed") && <Progress value={job.progress} label={t("import.progress")} />}
          {job.state === "committed" && (
            <Alert tone="info" title={t("import.done", { count: job.records_created })}>
              <Link className="underline" href="/consumptions">
                {t("import.seeRecords")}
              </Link>
            </Alert>
          )}
          {job.state === "failed" && <Alert>{job.failure ?? t("common.unexpected")}</Alert>}
        </Card>
      )}

      <History
        onChanged={() => setJob((current) => current)}
        onReview={(chosen) => {
          setProblem(null);
          setJob(chosen);
          // Rendered on the next paint: then its heading takes the focus (and the view).
          requestAnimationFrame(() => resultHeading.current?.focus());
        }}
      />
    </div>
  );
}
