"use client";

import { useMemo } from "react";
import type { FieldErrors, UseFormSetError } from "react-hook-form";

import type { TariffCreate, Unit } from "@/client";
import { zCreateTariffBody } from "@/client/zod.gen";
import { MoneyField, moneyError } from "@/components/MoneyField";
import { Alert, Button, DayField } from "@/components/ui";
import { contractResolver } from "@/lib/forms";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { currencyDigits } from "@/lib/format";
import { decimalSeparator, majorToMinor } from "@/lib/money";
import { useGuardedForm } from "@/lib/use-unsaved-changes";

/** A tariff's prices are finer than the minor unit: 15.23 cents per kWh is 4 more decimals. */
export const TARIFF_EXTRA_DECIMALS = 4;

export interface TariffFormValues {
  valid_from: string;
  /** Typed in major units per unit of the meter's kind ("0.1523" €/kWh). */
  unit_price_minor: string;
  /** Typed in major units per day. */
  fixed_daily_minor: string;
}

export const TARIFF_FIELDS = ["valid_from", "unit_price_minor", "fixed_daily_minor"] as const;

export const EMPTY_TARIFF: TariffFormValues = { valid_from: "", unit_price_minor: "", fixed_daily_minor: "" };

export function toTariffBody(values: TariffFormValues, currency: string): Record<string, unknown> {
  const price = (text: string) => {
    const result = majorToMinor(text, currency, TARIFF_EXTRA_DECIMALS);
    return result.ok ? result.minor : undefined;
  };
  return Object.fromEntries(
    Object.entries({
      valid_from: values.valid_from || undefined,
      unit_price_minor: price(values.unit_price_minor),
      fixed_daily_minor: price(values.fixed_daily_minor),
    }).filter(([, value]) => value !== undefined),
  );
}

/** Adds a tariff from a day on; `onSubmit` returns true when it was added (the form empties). */
export function TariffForm({
  currency,
  unit,
  onSubmit,
}: {
  currency: string;
  unit: Unit;
  onSubmit: (body: TariffCreate, setError: UseFormSetError<TariffFormValues>) => Promise<boolean>;
}) {
  const { t, intl } = useI18n();
  const sep = decimalSeparator(intl);
  const resolver = useMemo(
    () =>
      contractResolver<TariffFormValues, TariffCreate>(
        zCreateTariffBody,
        (values) => toTariffBody(values, currency),
        (values) => {
          const errors: FieldErrors<TariffFormValues> = {};
          for (const key of ["unit_price_minor", "fixed_daily_minor"] as const) {
            const error = moneyError(values[key], currency, { t, intl }, { fractionOfMinor: TARIFF_EXTRA_DECIMALS, example: `0${sep}1523` });
            if (error) errors[key] = error;
          }
          return errors;
        },
      ),
    [currency, t, intl, sep],
  );
  const {
    register,
    handleSubmit,
    setError,
    reset,
    formState: { errors, isSubmitting },
  } = useGuardedForm<TariffFormValues, TariffCreate>({ resolver, defaultValues: EMPTY_TARIFF });

  const submit = handleSubmit(async (body) => {
    if (await onSubmit(body, setError)) reset(EMPTY_TARIFF);
  });

  const unitText = t(`unit.${unit}`);
  return (
    <form onSubmit={submit} noValidate aria-label={t("tariffs.add")} className="space-y-4">
      {errors.root?.server?.message && <Alert>{errors.root.server.message}</Alert>}
      <fieldset disabled={isSubmitting} className="grid gap-4 sm:grid-cols-3">
        <DayField label={t("tariffs.validFrom")} error={errors.valid_from?.message} {...register("valid_from")} />
        <MoneyField
          label={t("tariffs.unitPrice", { unit: unitText })}
          currency={currency}
          hint={t("tariffs.unitPriceHint", { currency, digits: currencyDigits(currency) + TARIFF_EXTRA_DECIMALS, example: `0${sep}1523` })}
          error={errors.unit_price_minor?.message}
          {...register("unit_price_minor")}
        />
        <MoneyField
          label={t("tariffs.fixedDaily")}
          currency={currency}
          optional={t("common.optional")}
          hint={t("tariffs.fixedDailyHint", { currency })}
          error={errors.fixed_daily_minor?.message}
          {...register("fixed_daily_minor")}
        />
      </fieldset>
      <div className="flex justify-end">
        <Button type="submit" busy={isSubmitting}>
          {t("tariffs.submit")}
        </Button>
      </div>
    </form>
  );
}
