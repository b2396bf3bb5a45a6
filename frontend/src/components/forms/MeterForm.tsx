"use client";

import { useMemo, useState } from "react";
import { useWatch, type FieldErrors, type Path } from "react-hook-form";

import type { Meter, MeterCreate, MeterKind, MeterUpdate } from "@/client";
import { zCreateMeterBody, zUpdateMeterBody } from "@/client/zod.gen";
import { MoneyField, moneyError, moneyExample } from "@/components/MoneyField";
import { Alert, Button, SelectField, TextField } from "@/components/ui";
import { COMMON_CURRENCIES } from "@/lib/consumption";
import { contractResolver, type CreateOrEditFormProps } from "@/lib/forms";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { METER_KINDS } from "@/lib/meters";
import { decimalSeparator, majorToMinor, minorToMajorInput, parseDecimal } from "@/lib/money";
import { useGuardedForm } from "@/lib/use-unsaved-changes";

/** A mobile line's plan as typed: whole numbers as text, overage prices in major units. */
export interface PlanFormValues {
  data_mb: string;
  voice_minutes: string;
  sms: string;
  cycle_start_day: string;
  data_mb_price_minor: string;
  voice_minute_price_minor: string;
  sms_price_minor: string;
}

export interface MeterFormValues {
  kind: MeterKind | "";
  name: string;
  identifier: string;
  currency: string;
  /** Typed in major units; sent as minor units. */
  monthly_budget_minor: string;
  plan: PlanFormValues;
  /** A mobile line's low-balance threshold, typed in major units; "" is the server's default. */
  low_balance_minor: string;
}

const ALLOWANCE_KEYS = ["data_mb", "voice_minutes", "sms", "cycle_start_day"] as const;
const PRICE_KEYS = ["data_mb_price_minor", "voice_minute_price_minor", "sms_price_minor"] as const;

/** The fields a server error may name (`plan.data_mb`, `body.identifier`). */
export const METER_FIELDS: readonly Path<MeterFormValues>[] = [
  "kind",
  "name",
  "identifier",
  "currency",
  "monthly_budget_minor",
  "low_balance_minor",
  ...ALLOWANCE_KEYS.map((key) => `plan.${key}` as const),
  ...PRICE_KEYS.map((key) => `plan.${key}` as const),
];

export const EMPTY_PLAN: PlanFormValues = {
  data_mb: "",
  voice_minutes: "",
  sms: "",
  cycle_start_day: "1",
  data_mb_price_minor: "",
  voice_minute_price_minor: "",
  sms_price_minor: "",
};

export function emptyMeterValues(currency: string): MeterFormValues {
  return { kind: "", name: "", identifier: "", currency, monthly_budget_minor: "", plan: EMPTY_PLAN, low_balance_minor: "" };
}

export function valuesFromMeter(meter: Meter, locale: string): MeterFormValues {
  const sep = decimalSeparator(locale);
  const plan = meter.plan;
  return {
    kind: meter.kind,
    name: meter.name,
    identifier: meter.identifier,
    currency: meter.currency,
    monthly_budget_minor: minorToMajorInput(meter.monthly_budget_minor, meter.currency, sep),
    low_balance_minor: minorToMajorInput(meter.low_balance_minor, meter.currency, sep),
    plan: plan
      ? {
          data_mb: String(plan.data_mb),
          voice_minutes: String(plan.voice_minutes),
          sms: String(plan.sms),
          cycle_start_day: String(plan.cycle_start_day),
          data_mb_price_minor: minorToMajorInput(plan.data_mb_price_minor, meter.currency, sep),
          voice_minute_price_minor: minorToMajorInput(plan.voice_minute_price_minor, meter.currency, sep),
          sms_price_minor: minorToMajorInput(plan.sms_price_minor, meter.currency, sep),
        }
      : EMPTY_PLAN,
  };
}

/** "" → absent; anything else → a number (NaN for garbage, which the generated schema refuses). */
function numberOf(text: string): number | undefined {
  return text.trim() === "" ? undefined : parseDecimal(text);
}

function minorOf(text: string, currency: string): number | undefined {
  const money = majorToMinor(text, currency);
  return money.ok ? money.minor : undefined;
}

/** The plan as the contract wants it; empty prices are left out (they default to 0). */
export function toPlanBody(plan: PlanFormValues, currency: string): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const key of ALLOWANCE_KEYS) body[key] = numberOf(plan[key]);
  for (const key of PRICE_KEYS) {
    const minor = minorOf(plan[key], currency);
    if (minor !== undefined) body[key] = minor;
  }
  return body;
}

/** The create body: a plan only for a mobile line, empty optional fields left out. */
export function toCreateBody(values: MeterFormValues): Record<string, unknown> {
  const currency = values.currency || "EUR";
  return Object.fromEntries(
    Object.entries({
      kind: values.kind === "" ? undefined : values.kind,
      name: values.name.trim() === "" ? undefined : values.name.trim(),
      identifier: values.identifier.trim() === "" ? undefined : values.identifier.trim(),
      currency: values.currency || undefined,
      monthly_budget_minor: minorOf(values.monthly_budget_minor, currency),
      plan: values.kind === "mobile_line" ? toPlanBody(values.plan, currency) : undefined,
      low_balance_minor: values.kind === "mobile_line" ? minorOf(values.low_balance_minor, currency) : undefined,
    }).filter(([, value]) => value !== undefined),
  );
}

/** The update body: only what differs; a cleared budget is null; a changed plan is sent whole. */
export function toUpdateBody(values: MeterFormValues, initial: MeterFormValues): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const currency = initial.currency;
  if (values.name.trim() !== initial.name) body.name = values.name.trim();
  if (values.identifier.trim() !== initial.identifier) body.identifier = values.identifier.trim();
  const budget = majorToMinor(values.monthly_budget_minor, currency);
  const before = majorToMinor(initial.monthly_budget_minor, currency);
  if (budget.ok && (!before.ok || budget.minor !== before.minor)) body.monthly_budget_minor = budget.minor ?? null;
  if (initial.kind === "mobile_line") {
    const threshold = majorToMinor(values.low_balance_minor, currency);
    const thresholdBefore = majorToMinor(initial.low_balance_minor, currency);
    if (threshold.ok && (!thresholdBefore.ok || threshold.minor !== thresholdBefore.minor)) body.low_balance_minor = threshold.minor ?? null;
    const plan = toPlanBody(values.plan, currency);
    if (JSON.stringify(plan) !== JSON.stringify(toPlanBody(initial.plan, currency))) body.plan = plan;
  }
  return body;
}

type Props = CreateOrEditFormProps<MeterFormValues, MeterCreate, MeterUpdate>;

export function MeterForm(props: Props) {
  const { t, intl } = useI18n();
  const { initial, mode } = props;
  const [nothingChanged, setNothingChanged] = useState(false);

  const resolver = useMemo(() => {
    const moneyErrors = (values: MeterFormValues): FieldErrors<MeterFormValues> => {
      const currency = (mode === "edit" ? initial.currency : values.currency) || "EUR";
      const errors: FieldErrors<MeterFormValues> = {};
      const budget = moneyError(values.monthly_budget_minor, currency, { t, intl });
      if (budget) errors.monthly_budget_minor = budget;
      const kind = mode === "edit" ? initial.kind : values.kind;
      if (kind === "mobile_line") {
        const threshold = moneyError(values.low_balance_minor, currency, { t, intl });
        if (threshold) errors.low_balance_minor = threshold;
        const plan: NonNullable<FieldErrors<MeterFormValues>["plan"]> = {};
        for (const key of PRICE_KEYS) {
          const error = moneyError(values.plan[key], currency, { t, intl });
          if (error) plan[key] = error;
        }
        if (Object.keys(plan).length > 0) errors.plan = plan;
      }
      return errors;
    };
    return mode === "create"
      ? contractResolver(zCreateMeterBody, toCreateBody, moneyErrors)
      : contractResolver(zUpdateMeterBody, (values: MeterFormValues) => toUpdateBody(values, initial), moneyErrors);
  }, [mode, initial, t, intl]);

  const {
    register,
    handleSubmit,
    setError,
    control,
    formState: { errors, isSubmitting },
    mayLeave,
  } = useGuardedForm<MeterFormValues, MeterCreate | MeterUpdate>({
    resolver,
    defaultValues: initial,
    values: initial,
    resetOptions: { keepDirtyValues: false },
  });

  const watchedKind = useWatch({ control, name: "kind" });
  const watchedCurrency = useWatch({ control, name: "currency" });
  const kind = mode === "edit" ? initial.kind : watchedKind;
  const currency = (mode === "edit" ? initial.currency : watchedCurrency) || "EUR";
  const currencies = Array.from(new Set([initial.currency, ...COMMON_CURRENCIES].filter(Boolean)));
  const disabled = props.mode === "edit" && props.disabled;
  const priceHint = t("meters.form.priceHint", { currency });

  const submit = handleSubmit(async (body) => {
    setNothingChanged(false);
    if (props.mode === "edit") {
      if (Object.keys(body).length === 0) {
        setNothingChanged(true);
        return;
      }
      await props.onSubmit(body as MeterUpdate, setError);
    } else {
      await props.onSubmit(body as MeterCreate, setError);
    }
  });

  return (
    <form onSubmit={submit} noValidate className="space-y-5" aria-label={mode === "create" ? t("meters.new.title") : t("meters.edit.title")}>
      {nothingChanged && <Alert tone="info">{t("form.nothingChanged")}</Alert>}
      {errors.root?.server?.message && <Alert>{errors.root.server.message}</Alert>}
      <fieldset disabled={disabled || isSubmitting} className="grid gap-5 sm:grid-cols-2">
        {mode === "create" ? (
          <SelectField label={t("meters.form.kind")} error={errors.kind?.message} {...register("kind")}>
            <option value="" disabled>
              {t("meters.form.chooseKind")}
            </option>
            {METER_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`meterKind.${k}`)}
              </option>
            ))}
          </SelectField>
        ) : (
          <TextField label={t("meters.form.kind")} value={kind ? t(`meterKind.${kind}`) : ""} readOnly hint={t("meters.form.fixed")} />
        )}
        <TextField label={t("meters.form.name")} autoComplete="off" maxLength={100} error={errors.name?.message} {...register("name")} />
        <TextField
          label={kind === "mobile_line" ? t("meters.form.number") : t("meters.form.serial")}
          hint={kind === "mobile_line" ? t("meters.form.numberHint") : t("meters.form.serialHint")}
          autoComplete="off"
          inputMode={kind === "mobile_line" ? "tel" : undefined}
          maxLength={64}
          error={errors.identifier?.message}
          {...register("identifier")}
        />
        {mode === "create" ? (
          <SelectField label={t("form.currency")} error={errors.currency?.message} {...register("currency")}>
            {currencies.map((code) => (
              <option key={code} value={code}>
                {code}
              </option>
            ))}
          </SelectField>
        ) : (
          <TextField label={t("form.currency")} value={initial.currency} readOnly hint={t("meters.form.fixed")} />
        )}
        <MoneyField
          label={t("meters.form.budget")}
          currency={currency}
          optional={t("common.optional")}
          error={errors.monthly_budget_minor?.message}
          {...register("monthly_budget_minor")}
        />
      </fieldset>
      {kind === "mobile_line" && (
        <fieldset disabled={disabled || isSubmitting} className="rounded-xl border border-slate-200 p-4 dark:border-slate-800">
          <legend className="px-1 text-sm font-semibold">{t("meters.form.plan")}</legend>
          <p className="mb-4 text-xs text-slate-500 dark:text-slate-400">{t("meters.form.planHint")}</p>
          <div className="grid gap-5 sm:grid-cols-2">
            <TextField
              label={t("meters.form.dataMb")}
              inputMode="numeric"
              autoComplete="off"
              error={errors.plan?.data_mb?.message}
              {...register("plan.data_mb")}
            />
            <TextField
              label={t("meters.form.voiceMinutes")}
              inputMode="numeric"
              autoComplete="off"
              error={errors.plan?.voice_minutes?.message}
              {...register("plan.voice_minutes")}
            />
            <TextField label={t("meters.form.sms")} inputMode="numeric" autoComplete="off" error={errors.plan?.sms?.message} {...register("plan.sms")} />
            <TextField
              label={t("meters.form.cycleStartDay")}
              hint={t("meters.form.cycleStartDayHint")}
              inputMode="numeric"
              autoComplete="off"
              error={errors.plan?.cycle_start_day?.message}
              {...register("plan.cycle_start_day")}
            />
            <MoneyField
              label={t("meters.form.dataPrice")}
              optional={t("common.optional")}
              currency={currency}
              hint={priceHint}
              error={errors.plan?.data_mb_price_minor?.message}
              {...register("plan.data_mb_price_minor")}
            />
            <MoneyField
              label={t("meters.form.voicePrice")}
              optional={t("common.optional")}
              currency={currency}
              hint={priceHint}
              error={errors.plan?.voice_minute_price_minor?.message}
              {...register("plan.voice_minute_price_minor")}
            />
            <MoneyField
              label={t("meters.form.smsPrice")}
              optional={t("common.optional")}
              currency={currency}
              hint={priceHint}
              error={errors.plan?.sms_price_minor?.message}
              {...register("plan.sms_price_minor")}
            />
            <MoneyField
              label={t("meters.form.lowBalance")}
              optional={t("common.optional")}
              currency={currency}
              hint={t("meters.form.lowBalanceHint", { currency, example: moneyExample(currency, intl) })}
              error={errors.low_balance_minor?.message}
              {...register("low_balance_minor")}
            />
          </div>
        </fieldset>
      )}
      <div className="flex flex-wrap justify-end gap-2">
        <Button variant="secondary" onClick={() => mayLeave() && props.onCancel()}>
          {t("common.cancel")}
        </Button>
        <Button type="submit" busy={isSubmitting} disabled={disabled}>
          {isSubmitting ? t("common.saving") : mode === "create" ? t("meters.form.create") : t("common.save")}
        </Button>
      </div>
    </form>
  );
}
