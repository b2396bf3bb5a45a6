import Link from "next/link";

import type { Consumption } from "@/client";
import { overlapListHref } from "@/lib/consumption";
import { useI18n } from "@/lib/i18n/I18nProvider";

/**
 * A record that overlaps others of the same kind and meter (the API's `overlaps`): both count, so
 * the figures may hold the same consumption twice. Links to the list of the overlapping records of
 * its period; the title says why.
 */
export function OverlapBadge({ record }: { record: Pick<Consumption, "overlaps" | "kind" | "period_start" | "period_end" | "meter_id"> }) {
  const { t } = useI18n();
  if (record.overlaps <= 0) return null;
  const count = record.overlaps >= 100 ? "100+" : String(record.overlaps);
  return (
    <Link
      href={overlapListHref({ kind: record.kind, from: record.period_start, to: record.period_end, meter_id: record.meter_id ?? undefined })}
      title={t("overlap.badgeTitle", { count })}
      aria-label={t("overlap.badgeTitle", { count })}
      className="ml-1.5 inline-flex items-center rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-amber-700 dark:bg-amber-950 dark:text-amber-100"
    >
      {t("overlap.badge", { count })}
    </Link>
  );
}
