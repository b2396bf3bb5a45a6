import type { Consumption } from "@/client";
import type { Column } from "@/components/DataTable";
import { formatMoney, formatReadableQuantity } from "@/lib/format";
import type { MessageKey } from "@/lib/i18n/messages";

type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

/** A record's quantity, in units a person reads (GB above 1,024 MB, minutes without decimals…). */
export function quantityColumn(t: Translate, intl: string): Column<Consumption> {
  return {
    key: "quantity",
    header: t("list.col.quantity"),
    align: "right",
    cell: (record) => formatReadableQuantity(record.quantity, record.unit, intl, (shown) => t(`unit.${shown}`)),
  };
}

/** A record's cost, "no cost" when it has none; `tariffBadge` marks a cost priced by the meter's tariffs. */
export function costColumn(t: Translate, intl: string, { tariffBadge = false }: { tariffBadge?: boolean } = {}): Column<Consumption> {
  return {
    key: "cost",
    header: t("list.col.cost"),
    align: "right",
    cell: (record) => (
      <>
        {record.cost_minor === null ? (
          <span className="text-slate-600 dark:text-slate-400">{t("list.noCost")}</span>
        ) : (
          formatMoney(record.cost_minor, record.currency, intl)
        )}
        {tariffBadge && record.cost_from_tariff && (
          <span className="ml-1.5 rounded bg-sky-50 px-1.5 py-0.5 text-xs font-medium text-sky-800 dark:bg-sky-950 dark:text-sky-200">
            {t("meterRecords.fromTariff")}
          </span>
        )}
      </>
    ),
  };
}

/** Whether a record can be deleted on its own: records derived from meter readings go with their
 * readings, and usage charged to a line's balance is its ledger (the API refuses both). */
export function deletableOnItsOwn(record: Pick<Consumption, "source">): boolean {
  return record.source !== "reading" && record.source !== "simulation";
}
