import Link from "next/link";

import { Alert } from "@/components/ui";
import { overlapListHref } from "@/lib/consumption";
import { useI18n } from "@/lib/i18n/I18nProvider";

/**
 * The dashboard's warning that some records of the range overlap others (the KPI summary's
 * `overlapping_records`, counted up to 1000): their figures may count the same consumption twice.
 * The link opens the list filtered to exactly those records (the list shows the caller's own, so it
 * is offered for that scope only).
 */
export function OverlapNotice({ count, from, to, meterId, linkToList }: { count: number; from: string; to: string; meterId?: string; linkToList: boolean }) {
  const { t } = useI18n();
  if (count <= 0) return null;
  return (
    <div className="mt-4">
      <Alert tone="warning">
        {t("overlap.notice", { count: count >= 1000 ? "1000+" : String(count) })}{" "}
        {linkToList && (
          <Link href={overlapListHref({ from, to, meter_id: meterId })} className="font-semibold underline underline-offset-2">
            {t("overlap.noticeLink")}
          </Link>
        )}
      </Alert>
    </div>
  );
}
