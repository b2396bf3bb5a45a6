"use client";

import { LoadMoreButton, Spinner } from "@/components/ui";
import { useI18n } from "@/lib/i18n/I18nProvider";

interface PagedQuery {
  hasNextPage: boolean;
  isFetching: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
}

/** Under a paged list page: how many are shown, a background refresh, "load more" or `endLabel`. */
export function ListFooter({ list, count, endLabel }: { list: PagedQuery; count: number; endLabel: string }) {
  const { t } = useI18n();
  return (
    <div className="mt-4 flex items-center justify-between text-sm text-slate-500 dark:text-slate-400">
      <span aria-live="polite" className="flex items-center gap-2">
        {t("list.count", { count })}
        {list.isFetching && !list.isFetchingNextPage && (
          <span className="flex items-center gap-1">
            <Spinner className="size-3.5" />
            {t("common.updating")}
          </span>
        )}
      </span>
      <LoadMoreButton list={list} label={t("list.more")} busyLabel={t("list.loadingMore")} />
      {!list.hasNextPage && <span>{endLabel}</span>}
    </div>
  );
}
