"use client";

import { useMemo } from "react";
import type { FieldErrors, UseFormSetError } from "react-hook-form";

import type { TopUpCreate } from "@/client";
import { zCreateTopUpBody } from "@/client/zod.gen";
import { MoneyField, moneyError, moneyExample } from "@/components/MoneyField";
import { Alert, Button } from "@/components/ui";
import { contractResolver } from "@/lib/forms";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { majorToMinor } from "@/lib/money";
import { useGuardedForm } from "@/lib/use-unsaved-changes";

export interface TopUpFormValues {
  /** Typed in major units; sent as minor units. */
  amount_minor: string;
}

export const TOP_UP_FIELDS = ["amount_minor"] as const;

export function toTopUpBody(values: TopUpFormValues, currency: string): Record<string, unknown> {
  const amount = majorToMinor(values.amount_minor, currency);
  return amount.ok && amount.minor !== undefined ? { amount_minor: amount.minor } : {};
}

/** Adds prepaid balance; `onSubmit` returns true when the amount went through (the field empties). */
export function TopUpForm({
  currency,
  onSubmit,
}: {
  currency: string;
  onSubmit: (body: TopUpCreate, setError: UseFormSetError<TopUpFormValues>) => Promise<boolean>;
}) {
  const { t, intl } = useI18n();
  const example = moneyExample(currency, intl, 1000);
  const resolver = useMemo(
    () =>
      contractResolver<TopUpFormValues, TopUpCreate>(
        zCreateTopUpBody,
        (values) => toTopUpBody(values, currency),
        (values): FieldErrors<TopUpFormValues> => {
          const amount = moneyError(values.amount_minor, currency, { t, intl }, { example });
          return amount ? { amount_minor: amount } : {};
        },
      ),
    [currency, t, intl, example],
  );
  const {
    register,
    handleSubmit,
    setError,
    reset,
    formState: { errors, isSubmitting },
  } = useGuardedForm<TopUpFormValues, TopUpCreate>({ resolver, defaultValues: { amount_minor: "" } });

  const submit = handleSubmit(async (body) => {
    if (await onSubmit(body, setError)) reset({ amount_minor: "" });
  });

  return (
    <form onSubmit={submit} noValidate aria-label={t("line.topUp.title")} className="space-y-3">
      {errors.root?.server?.message && <Alert>{errors.root.server.message}</Alert>}
      <div className="flex flex-wrap items-start gap-3">
        <MoneyField
          className="min-w-40 flex-1"
          label={t("line.topUp.amount", { currency })}
          currency={currency}
          hint={t("form.costHint", { currency, example })}
          disabled={isSubmitting}
          error={errors.amount_minor?.message}
          {...register("amount_minor")}
        />
        <Button type="submit" className="sm:mt-6" busy={isSubmitting}>
          {t("line.topUp.submit")}
        </Button>
      </div>
    </form>
  );
}
