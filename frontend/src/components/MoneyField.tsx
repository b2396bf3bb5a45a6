"use client";

import type { ComponentProps } from "react";
import type { FieldError } from "react-hook-form";

import { TextField } from "@/components/ui";
import { useI18n } from "@/lib/i18n/I18nProvider";
import type { MessageKey } from "@/lib/i18n/messages";
import { decimalSeparator, majorToMinor, minorToMajorInput } from "@/lib/money";

type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

/** An amount as the user's locale writes it ("42,15" in Spanish), for hints and error messages. */
export function moneyExample(currency: string, locale: string, minor = 4215): string {
  return minorToMajorInput(minor, currency, decimalSeparator(locale));
}

/**
 * Why `input` is not an amount of `currency`, as the form's field error, or undefined when it is
 * one (or empty). Prices finer than the minor unit allow `fractionOfMinor` more decimals.
 */
export function moneyError(
  input: string,
  currency: string,
  { t, intl }: { t: Translate; intl: string },
  { fractionOfMinor = 0, example }: { fractionOfMinor?: number; example?: string } = {},
): FieldError | undefined {
  const result = majorToMinor(input, currency, fractionOfMinor);
  if (result.ok) return undefined;
  const message =
    result.reason === "decimals"
      ? t("form.costDecimals", { digits: result.digits, currency })
      : t("form.costInvalid", { example: example ?? moneyExample(currency, intl) });
  return { type: "format", message };
}

/**
 * A money input: typed in major units of `currency` (sent as minor units by the form), with the
 * decimal keyboard on phones and, unless the form gives its own, a hint with an example amount.
 */
export function MoneyField({ currency, hint, ...props }: ComponentProps<typeof TextField> & { currency: string }) {
  const { t, intl } = useI18n();
  return <TextField inputMode="decimal" autoComplete="off" hint={hint ?? t("form.costHint", { currency, example: moneyExample(currency, intl) })} {...props} />;
}
