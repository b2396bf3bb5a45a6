"use client";

import type { ReactNode } from "react";

import { Alert, Loading } from "@/components/ui";
import { describeError } from "@/lib/errors";
import { useI18n } from "@/lib/i18n/I18nProvider";

interface ListQuery {
  isPending: boolean;
  isError: boolean;
  error: unknown;
}

/** A panel's list in its four states: loading, failed, empty (says `empty`), or its rows. */
export function PanelList({ query, count, empty, children }: { query: ListQuery; count: number; empty: string; children: ReactNode }) {
  const { t } = useI18n();
  if (query.isPending) return <Loading label={t("common.loading")} />;
  if (query.isError) return <Alert>{describeError(query.error, t)}</Alert>;
  if (count === 0) return <p className="py-4 text-sm text-slate-500 dark:text-slate-400">{empty}</p>;
  return <>{children}</>;
}
