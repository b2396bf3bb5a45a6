"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";
import { useWatch, type FieldErrors, type Path } from "react-hook-form";
import { toast } from "sonner";

import { replaceBudgets, type Budget, type BudgetList, type ConsumptionKind } from "@/client";
import { getBudgetsQueryKey } from "@/client/@tanstack/react-query.gen";
import { zReplaceBudgetsBody } from "@/client/zod.gen";
import { MoneyField, moneyError } from "@/components/MoneyField";
import { Alert, Button, SelectField, TextField } from "@/components/ui";
import { COMMON_CURRENCIES, KIND_UNIT, KINDS } from "@/lib/consumption";
import { describeError } from "@/lib/errors";
import { contractResolver } from "@/lib/forms";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { decimalSeparator, majorToMinor, minorToMajorInput, parseDecimal } from "@/lib/money";
import { applyProblemToForm, problemOf } from "@/lib/problem";

import { invalidate, kpiQueries } from "@/lib/queries";
import { useGuardedForm } from "@/lib/use-unsaved-changes";

/**
 * One row per kind, always in the contract's order, so a schema error at `items.3.currency` lands
 * on the fourth row; rows left empty are dropped only after validation, just before sending.
 */
interface BudgetRow {
  kind: ConsumptionKind;
  quantity_limit: string;
  /** Typed in major units ("45.50"); sent as minor units. */
  cost_limit_minor: string;
  currency: string;
}
interface BudgetFormValues {
  items: BudgetRow[];
}

function rowsFrom(budgets: readonly Budget[], locale: string, defaultCurrency: string): BudgetFormValues {
  const sep = decimalSeparator(locale);
  return {
    items: KINDS.map((kind) => {
      const budget = budgets.find((each) => each.kind === kind);
      const currency = budget?.currency ?? defaultCurrency;
      return {
        kind,
        quantity_limit: budget?.quantity_limit === null || budget?.quantity_limit === undefined ? "" : String(budget.quantity_limit).replace(".", sep),
        cost_limit_minor: minorToMajorInput(budget?.cost_limit_minor, currency, sep),
        currency,
      };
    }),
  };
}

function toBody(values: BudgetFormValues): Record<string, unknown> {
  return {
    items: values.items.map((row) => {
      const cost = majorToMinor(row.cost_limit_minor, row.currency);
      const costMinor = cost.ok ? cost.minor : undefined;
      return {
        kind: row.kind,
        ...(row.quantity_limit.trim() === "" ? {} : { quantity_limit: parseDecimal(row.quantity_limit) }),
        ...(costMinor === undefined ? {} : { cost_limit_minor: costMinor, currency: row.currency }),
      };
    }),
  };
}

export function BudgetsEditor({ budgets, defaultCurrency }: { budgets: readonly Budget[]; defaultCurrency: string }) {
  const { t, intl } = useI18n();
  const queryClient = useQueryClient();
  const sep = decimalSeparator(intl);
  const initial = useMemo(() => rowsFrom(budgets, intl, defaultCurrency), [budgets, intl, defaultCurrency]);

  const resolver = useMemo(
    () =>
      contractResolver<BudgetFormValues, BudgetList>(zReplaceBudgetsBody, toBody, (values) => {
        const errors: FieldErrors<BudgetFormValues> = {};
        values.items.forEach((row, index) => {
          const rowErrors: NonNullable<FieldErrors<BudgetFormValues>["items"]>[number] = {};
          if (row.quantity_limit.trim() !== "" && Number.isNaN(parseDecimal(row.quantity_limit))) {
            rowErrors.quantity_limit = { type: "format", message: t("form.quantityInvalid", { example: `150${sep}5` }) };
          }
          const cost = moneyError(row.cost_limit_minor, row.currency, { t, intl });
          if (cost) rowErrors.cost_limit_minor = cost;
          if (Object.keys(rowErrors).length > 0) {
            errors.items ??= [];
            (errors.items as Array<typeof rowErrors>)[index] = rowErrors;
          }
        });
        return errors;
      }),
    [t, intl, sep],
  );

  const {
    register,
    handleSubmit,
    setError,
    control,
    formState: { errors, isSubmitting, isDirty },
  } = useGuardedForm<BudgetFormValues, BudgetList>({ resolver, defaultValues: initial, values: initial, resetOptions: { keepDirtyValues: false } });
  const currencies = useWatch({ control, name: "items" }).map((row) => row.currency);

  const fields: Array<Path<BudgetFormValues>> = KINDS.flatMap((_, index) => [
    `items.${index}.quantity_limit` as const,
    `items.${index}.cost_limit_minor` as const,
    `items.${index}.currency` as const,
  ]);

  const submit = handleSubmit(async (body) => {
    const items = body.items.filter((item) => item.quantity_limit != null || item.cost_limit_minor != null);
    try {
      const saved = await replaceBudgets({ body: { items }, throwOnError: true });
      queryClient.setQueryData(getBudgetsQueryKey(), saved.data);
      await invalidate(queryClient, kpiQueries());
      toast.success(t("dashboard.budgets.saved"));
    } catch (error) {
      const problem = problemOf(error);
      // Server errors name positions in the list that was sent; map them back to the rows.
      const placed = problem
        ? {
            ...problem,
            errors: problem.errors?.map((each) => {
              const match = /^(?:body\.)?items(?:\.(\d+)|\[(\d+)\])\.(\w+)$/.exec(each.field);
              const kind = match ? items[Number(match[1] ?? match[2])]?.kind : undefined;
              return kind ? { ...each, field: `items.${KINDS.indexOf(kind)}.${match?.[3]}` } : each;
            }),
          }
        : null;
      const rest = placed ? applyProblemToForm(placed, fields, setError, t) : [describeError(error, t)];
      if (rest.length) setError("root.server", { type: "server", message: rest.join(" ") });
    }
  });

  return (
    <form onSubmit={submit} noValidate aria-label={t("dashboard.budgets.title")}>
      {errors.root?.server?.message && (
        <div className="mb-4">
          <Alert>{errors.root.server.message}</Alert>
        </div>
      )}
      <fieldset disabled={isSubmitting} className="divide-y divide-slate-100 dark:divide-slate-800">
        {KINDS.map((kind, index) => {
          const currency = currencies[index] ?? defaultCurrency;
          const rowErrors = errors.items?.[index];
          return (
            <div key={kind} className="grid gap-3 py-3 sm:grid-cols-[10rem_1fr_1fr_7rem] sm:items-start">
              <p className="pt-1 text-sm font-semibold sm:pt-7">{t(`kind.${kind}`)}</p>
              <TextField
                label={t("dashboard.budgets.quantity", { unit: t(`unit.${KIND_UNIT[kind]}`) })}
                aria-label={`${t(`kind.${kind}`)}: ${t("dashboard.budgets.quantity", { unit: t(`unit.${KIND_UNIT[kind]}`) })}`}
                inputMode="decimal"
                autoComplete="off"
                optional={t("common.optional")}
                error={rowErrors?.quantity_limit?.message}
                {...register(`items.${index}.quantity_limit`)}
              />
              <MoneyField
                label={t("dashboard.budgets.cost")}
                aria-label={`${t(`kind.${kind}`)}: ${t("dashboard.budgets.cost")}`}
                currency={currency}
                optional={t("common.optional")}
                error={rowErrors?.cost_limit_minor?.message ?? rowErrors?.currency?.message}
                {...register(`items.${index}.cost_limit_minor`)}
              />
              <SelectField
                label={t("dashboard.budgets.currency")}
                aria-label={`${t(`kind.${kind}`)}: ${t("dashboard.budgets.currency")}`}
                {...register(`items.${index}.currency`)}
              >
                {Array.from(new Set([currency, defaultCurrency, ...COMMON_CURRENCIES])).map((code) => (
                  <option key={code} value={code}>
                    {code}
                  </option>
                ))}
              </SelectField>
            </div>
          );
        })}
      </fieldset>
      <div className="mt-4 flex justify-end">
        <Button type="submit" busy={isSubmitting} disabled={!isDirty}>
          {isSubmitting ? t("common.saving") : t("dashboard.budgets.save")}
        </Button>
      </div>
    </form>
  );
}
