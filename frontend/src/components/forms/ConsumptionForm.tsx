"use client";

import { useEffect, useMemo, useState } from "react";
import { useWatch, type FieldErrors } from "react-hook-form";

import type { Consumption, ConsumptionCreate, ConsumptionKind, ConsumptionUpdate, Meter } from "@/client";
import { zCreateConsumptionBody, zUpdateConsumptionBody } from "@/client/zod.gen";
import { MoneyField, moneyError, moneyExample } from "@/components/MoneyField";
import { Alert, Button, DayField, SelectField, TextAreaField, TextField } from "@/components/ui";
import { COMMON_CURRENCIES, KIND_UNIT, KINDS } from "@/lib/consumption";
import { contractResolver, type CreateOrEditFormProps } from "@/lib/forms";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { useGuardedForm } from "@/lib/use-unsaved-changes";
import { meterHolds, metersFor } from "@/lib/meters";
import { decimalSeparator, majorToMinor, minorToMajorInput, parseDecimal } from "@/lib/money";
import { MAX_PERIOD_DAYS, periodProblem } from "@/lib/period";

/** What the user types: text for numbers, major units for money. */
export interface ConsumptionFormValues {
  kind: ConsumptionKind | "";
  quantity: string;
  period_start: string;
  period_end: string;
  cost_minor: string;
  currency: string;
  notes: string;
  /** "" for no meter. */
  meter_id: string;
}

export const CONSUMPTION_FIELDS = ["kind", "quantity", "period_start", "period_end", "cost_minor", "currency", "notes", "meter_id"] as const;

export function valuesFromRecord(record: Consumption, locale: string): ConsumptionFormValues {
  const sep = decimalSeparator(locale);
  return {
    kind: record.kind,
    quantity: String(record.quantity).replace(".", sep),
    period_start: record.period_start,
    period_end: record.period_end,
    cost_minor: minorToMajorInput(record.cost_minor, record.currency, sep),
    currency: record.currency,
    notes: record.notes ?? "",
    meter_id: record.meter_id ?? "",
  };
}

function quantityOf(text: string): number | undefined {
  return text.trim() === "" ? undefined : parseDecimal(text);
}

/** The create body: empty optional fields are left out. */
export function toCreateBody(values: ConsumptionFormValues): Record<string, unknown> {
  const cost = majorToMinor(values.cost_minor, values.currency || "EUR");
  return Object.fromEntries(
    Object.entries({
      kind: values.kind === "" ? undefined : values.kind,
      quantity: quantityOf(values.quantity),
      period_start: values.period_start || undefined,
      period_end: values.period_end || undefined,
      cost_minor: cost.ok ? cost.minor : undefined,
      currency: values.currency || undefined,
      notes: values.notes.trim() === "" ? undefined : values.notes,
      meter_id: values.meter_id || undefined,
    }).filter(([, value]) => value !== undefined),
  );
}

/** The update body: only what differs from the record; a cleared cost or note is null. */
export function toUpdateBody(values: ConsumptionFormValues, initial: ConsumptionFormValues): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (values.kind !== initial.kind) body.kind = values.kind;
  if (quantityOf(values.quantity) !== quantityOf(initial.quantity)) body.quantity = quantityOf(values.quantity);
  if (values.period_start !== initial.period_start) body.period_start = values.period_start;
  if (values.period_end !== initial.period_end) body.period_end = values.period_end;
  if (values.currency !== initial.currency) body.currency = values.currency;
  const cost = majorToMinor(values.cost_minor, values.currency);
  const before = majorToMinor(initial.cost_minor, initial.currency);
  if (cost.ok && (!before.ok || cost.minor !== before.minor)) body.cost_minor = cost.minor ?? null;
  if (values.notes !== initial.notes) body.notes = values.notes.trim() === "" ? null : values.notes;
  if (values.meter_id !== initial.meter_id) body.meter_id = values.meter_id || null;
  return body;
}

/** The meters the record may be measured on, and whether its cost now follows their tariffs. */
interface MeterProps {
  meters?: readonly Meter[];
  costFromTariff?: boolean;
}

type Props = MeterProps & CreateOrEditFormProps<ConsumptionFormValues, ConsumptionCreate, ConsumptionUpdate>;

export function ConsumptionForm(props: Props) {
  const { t, intl } = useI18n();
  const { initial, mode } = props;
  const [nothingChanged, setNothingChanged] = useState(false);
  const sep = decimalSeparator(intl);

  const resolver = useMemo(() => {
    const conversionErrors = (values: ConsumptionFormValues): FieldErrors<ConsumptionFormValues> => {
      const errors: FieldErrors<ConsumptionFormValues> = {};
      if (values.quantity.trim() !== "" && Number.isNaN(parseDecimal(values.quantity))) {
        errors.quantity = { type: "format", message: t("form.quantityInvalid", { example: `182${sep}5` }) };
      }
      // Checked with the other fields, so it shows even while another field has an error too.
      const period = periodProblem(values.period_start, values.period_end);
      if (period) {
        errors.period_end = {
          type: "period",
          message: period === "endBeforeStart" ? t("form.periodEndBeforeStart") : t("form.periodTooLong", { days: MAX_PERIOD_DAYS }),
        };
      }
      const currency = values.currency || "EUR";
      const cost = moneyError(values.cost_minor, currency, { t, intl });
      if (cost) errors.cost_minor = cost;
      return errors;
    };
    return mode === "create"
      ? contractResolver(zCreateConsumptionBody, toCreateBody, conversionErrors)
      : contractResolver(zUpdateConsumptionBody, (values: ConsumptionFormValues) => toUpdateBody(values, initial), conversionErrors);
  }, [mode, initial, t, intl, sep]);

  const {
    register,
    handleSubmit,
    setError,
    setValue,
    getValues,
    control,
    formState: { errors, isSubmitting },
    mayLeave,
  } = useGuardedForm<ConsumptionFormValues, ConsumptionCreate | ConsumptionUpdate>({
    resolver,
    defaultValues: initial,
    values: initial,
    resetOptions: { keepDirtyValues: false },
  });

  const kind = useWatch({ control, name: "kind" });
  const currency = useWatch({ control, name: "currency" }) || "EUR";
  const unit = kind ? t(`unit.${KIND_UNIT[kind]}`) : "—";
  const disabled = props.mode === "edit" && props.disabled;

  // The meter picker offers only meters that hold the chosen kind, and lets go of one that does not.
  const meters = useMemo(() => props.meters ?? [], [props.meters]);
  const meterId = useWatch({ control, name: "meter_id" });
  const meterChoices = metersFor(meters, kind);
  const chosenMeter = meters.find((meter) => meter.id === meterId);
  useEffect(() => {
    const selected = meters.find((meter) => meter.id === getValues("meter_id"));
    if (selected && kind && !meterHolds(selected.kind, kind)) setValue("meter_id", "", { shouldDirty: true });
  }, [kind, meters, getValues, setValue]);
  const meterField = register("meter_id");
  const currencies = Array.from(new Set([initial.currency, ...meters.map((meter) => meter.currency), ...COMMON_CURRENCIES].filter(Boolean)));
  const costHint =
    props.costFromTariff && meterId === initial.meter_id
      ? t("form.costFromTariff")
      : chosenMeter && chosenMeter.kind !== "mobile_line"
        ? t("form.costTariffHint", { currency, example: moneyExample(currency, intl) })
        : undefined;

  const submit = handleSubmit(async (body) => {
    setNothingChanged(false);
    if (props.mode === "edit") {
      if (Object.keys(body).length === 0) {
        setNothingChanged(true);
        return;
      }
      await props.onSubmit(body as ConsumptionUpdate, setError);
    } else {
      await props.onSubmit(body as ConsumptionCreate, setError);
    }
  });

  return (
    <form onSubmit={submit} noValidate className="space-y-5">
      {nothingChanged && <Alert tone="info">{t("form.nothingChanged")}</Alert>}
      {errors.root?.server?.message && <Alert>{errors.root.server.message}</Alert>}
      <fieldset disabled={disabled || isSubmitting} className="grid gap-5 sm:grid-cols-2">
        <SelectField label={t("form.kind")} error={errors.kind?.message} {...register("kind")}>
          <option value="" disabled>
            {t("form.chooseKind")}
          </option>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`kind.${k}`)}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t("form.quantity")}
          hint={t("form.quantityHint", { unit })}
          inputMode="decimal"
          autoComplete="off"
          error={errors.quantity?.message}
          {...register("quantity")}
        />
        <DayField label={t("form.periodStart")} hint={t("form.periodHint")} error={errors.period_start?.message} {...register("period_start")} />
        <DayField label={t("form.periodEnd")} error={errors.period_end?.message} {...register("period_end")} />
        <MoneyField
          label={t("form.cost")}
          currency={currency}
          optional={t("common.optional")}
          hint={costHint}
          error={errors.cost_minor?.message}
          {...register("cost_minor")}
        />
        <SelectField label={t("form.currency")} error={errors.currency?.message} {...register("currency")}>
          {currencies.map((code) => (
            <option key={code} value={code}>
              {code}
            </option>
          ))}
        </SelectField>
        <SelectField
          className="sm:col-span-2"
          label={t("form.meter")}
          optional={t("common.optional")}
          hint={meters.length === 0 ? t("form.meterNone") : t("form.meterHint")}
          error={errors.meter_id?.message}
          {...meterField}
          onChange={async (event) => {
            await meterField.onChange(event);
            // A record on a meter is usually in the meter's currency (its tariffs are).
            const meter = meters.find((each) => each.id === event.target.value);
            if (meter && mode === "create" && !getValues("cost_minor")) setValue("currency", meter.currency);
          }}
        >
          <option value="">{t("form.noMeter")}</option>
          {meterChoices.map((meter) => (
            <option key={meter.id} value={meter.id}>
              {t("form.meterOption", { name: meter.name, identifier: meter.identifier })}
            </option>
          ))}
          {meterId && !meterChoices.some((meter) => meter.id === meterId) && <option value={meterId}>{chosenMeter?.name ?? t("common.loading")}</option>}
        </SelectField>
        <TextAreaField
          className="sm:col-span-2"
          label={t("form.notes")}
          optional={t("common.optional")}
          maxLength={1000}
          error={errors.notes?.message}
          {...register("notes")}
        />
      </fieldset>
      <div className="flex flex-wrap justify-end gap-2">
        <Button variant="secondary" onClick={() => mayLeave() && props.onCancel()}>
          {t("common.cancel")}
        </Button>
        <Button type="submit" busy={isSubmitting} disabled={disabled}>
          {isSubmitting ? t("common.saving") : mode === "create" ? t("form.create") : t("common.save")}
        </Button>
      </div>
    </form>
  );
}
