import { useQuery } from "@tanstack/react-query";
import Link from "next/link";

import { summarizeConsumptionsOptions } from "@/client/@tanstack/react-query.gen";
import { Alert } from "@/components/ui";
import { overlapListHref } from "@/lib/consumption";
import { useI18n } from "@/lib/i18n/I18nProvider";

/**
 * The dashboard's warning that some records of the range overlap others: their figures may count
 * the same consumption twice. Asked of `GET /consumptions/summary` with the list's own filters
 * (`overlapping=true`), so the link opens exactly those records; a request of its own, so the KPI
 * figures never wait for it. Shows nothing while loading or when the API fails (the figures' own
 * sections say so). The list shows the caller's own records, so the link is offered for that scope.
 */
export function DashboardOverlapNotice({ from, to, meterId, scope }: { from: string; to: string; meterId?: string; scope: "mine" | "tenant" }) {
  const query = { from, to, overlapping: true, scope, ...(meterId ? { meter_id: meterId } : {}) };
  const overlapping = useQuery(summarizeConsumptionsOptions({ query }));
  if (!overlapping.isSuccess) return null;
  return <OverlapNotice count={overlapping.data.records} from={from} to={to} meterId={meterId} linkToList={scope === "mine"} />;
}

export function OverlapNotice({ count, from, to, meterId, linkToList }: { count: number; from: string; to: string; meterId?: string; linkToList: boolean }) {
  const { t } = useI18n();
  if (count <= 0) return null;
  return (
    <div className="mt-4">
      <Alert tone="warning">
        {t("overlap.notice", { count })}{" "}
        {linkToList && (
          <Link href={overlapListHref({ from, to, meter_id: meterId })} className="font-semibold underline underline-offset-2">
            {t("overlap.noticeLink")}
          </Link>
        )}
      </Alert>
    </div>
  );
}
