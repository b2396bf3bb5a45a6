import { useQuery } from "@tanstack/react-query";

import { summarizeConsumptionsOptions } from "@/client/@tanstack/react-query.gen";
import { formatMoney, formatNumber, formatReadableQuantity } from "@/lib/format";
import type { ListFilters } from "@/lib/consumption";
import { useI18n } from "@/lib/i18n/I18nProvider";

/**
 * "N records · 1,234 kWh · 56.70 EUR" for exactly the list's filters (the API's
 * `GET /consumptions/summary` takes the same ones): kinds are never added together, costs are per
 * currency. A create, edit or delete refreshes it with the list (`recordQueries`).
 */
export function ListSummary({ filters }: { filters: ListFilters }) {
  const { t, intl } = useI18n();
  const summary = useQuery(summarizeConsumptionsOptions({ query: filters }));
  if (!summary.isSuccess) return null;
  const { records, quantities, costs, uncosted_records } = summary.data;
  const parts = [
    t(records === 1 ? "listSummary.record" : "listSummary.records", { count: formatNumber(records, intl) }),
    ...quantities.map((each) => {
      const quantity = formatReadableQuantity(each.quantity, each.unit, intl, (shown) => t(`unit.${shown}`));
      // Water and gas are both m³: name the kind when the unit alone would not.
      return quantities.filter((other) => other.unit === each.unit).length > 1 ? `${quantity} (${t(`kind.${each.kind}`).toLowerCase()})` : quantity;
    }),
    ...costs.map((cost) => formatMoney(cost.cost_minor, cost.currency, intl)),
  ];
  return (
    <p aria-live="polite" data-testid="list-summary" className="mb-3 text-sm text-slate-700 dark:text-slate-300">
      <span className="font-semibold">{parts[0]}</span>
      {parts.slice(1).map((part) => (
        <span key={part}>
          {" · "}
          {part}
        </span>
      ))}
      {uncosted_records > 0 && records > 0 && (
        <span className="text-slate-600 dark:text-slate-400">{` · ${t("listSummary.uncosted", { count: formatNumber(uncosted_records, intl) })}`}</span>
      )}
    </p>
  );
}
