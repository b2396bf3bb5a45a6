"use client";

import type { ReactNode } from "react";

import { DataTable, type DataTableProps } from "@/components/DataTable";
import { Alert, LoadMoreButton, Loading } from "@/components/ui";
import { describeError } from "@/lib/errors";
import { useI18n } from "@/lib/i18n/I18nProvider";

interface ListQuery {
  isPending: boolean;
  isError: boolean;
  error: unknown;
}

interface PagedListQuery extends ListQuery {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
}

/** A panel's list in its four states: loading, failed, empty (says `empty`), or its rows. */
export function PanelList({ query, count, empty, children }: { query: ListQuery; count: number; empty: string; children: ReactNode }) {
  const { t } = useI18n();
  if (query.isPending) return <Loading label={t("common.loading")} />;
  if (query.isError) return <Alert>{describeError(query.error, t)}</Alert>;
  if (count === 0) return <p className="py-4 text-sm text-slate-500 dark:text-slate-400">{empty}</p>;
  return <>{children}</>;
}

/** A panel's paged table: the list's states (PanelList), its rows (a bare DataTable) and "Load more" while pages follow. */
export function PanelTable<T>({ list, empty, ...table }: { list: PagedListQuery; empty: string } & Omit<DataTableProps<T>, "bare">) {
  const { t } = useI18n();
  return (
    <PanelList query={list} count={table.rows.length} empty={empty}>
      <div>
        <DataTable bare {...table} />
        {list.hasNextPage && (
          <div className="mt-3 flex justify-end">
            <LoadMoreButton list={list} label={t("list.more")} busyLabel={t("list.loadingMore")} />
          </div>
        )}
      </div>
    </PanelList>
  );
}
