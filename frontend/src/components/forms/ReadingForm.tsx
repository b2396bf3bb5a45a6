"use client";

import { useMemo, useState } from "react";
import { useWatch, type FieldErrors, type UseFormSetError } from "react-hook-form";

import type { Reading, ReadingCreate, ReadingUpdate, Unit } from "@/client";
import { zCreateReadingBody, zUpdateReadingBody } from "@/client/zod.gen";
import { Alert, Button, CheckboxField, DayField, TextField } from "@/components/ui";
import { contractResolver } from "@/lib/forms";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { decimalSeparator, parseDecimal } from "@/lib/money";
import { useGuardedForm } from "@/lib/use-unsaved-changes";

export interface ReadingFormValues {
  date: string;
  index_value: string;
  replacement: boolean;
  replaced_meter_final_index: string;
}

export const READING_FIELDS = ["date", "index_value", "replacement", "replaced_meter_final_index"] as const;

export const EMPTY_READING: ReadingFormValues = { date: "", index_value: "", replacement: false, replaced_meter_final_index: "" };

export function valuesFromReading(reading: Reading, locale: string): ReadingFormValues {
  const sep = decimalSeparator(locale);
  return {
    date: reading.date,
    index_value: String(reading.index_value).replace(".", sep),
    replacement: reading.replacement,
    replaced_meter_final_index: reading.replaced_meter_final_index === null ? "" : String(reading.replaced_meter_final_index).replace(".", sep),
  };
}

function numberOf(text: string): number | undefined {
  return text.trim() === "" ? undefined : parseDecimal(text);
}

/** The old meter's final index counts only for a replacement. */
function finalIndexOf(values: ReadingFormValues): number | undefined {
  return values.replacement ? numberOf(values.replaced_meter_final_index) : undefined;
}

export function toReadingCreateBody(values: ReadingFormValues): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries({
      date: values.date || undefined,
      index_value: numberOf(values.index_value),
      replacement: values.replacement,
      replaced_meter_final_index: finalIndexOf(values),
    }).filter(([, value]) => value !== undefined),
  );
}

/** Only what changed; a final index no longer given (or no longer a replacement) is null. */
export function toReadingUpdateBody(values: ReadingFormValues, initial: ReadingFormValues): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (values.date !== initial.date) body.date = values.date;
  if (numberOf(values.index_value) !== numberOf(initial.index_value)) body.index_value = numberOf(values.index_value);
  if (values.replacement !== initial.replacement) body.replacement = values.replacement;
  const finalIndex = finalIndexOf(values);
  if (finalIndex !== finalIndexOf(initial)) body.replaced_meter_final_index = finalIndex ?? null;
  return body;
}

type Props =
  | {
      mode: "create";
      unit: Unit;
      onSubmit: (body: ReadingCreate, setError: UseFormSetError<ReadingFormValues>) => Promise<boolean>;
    }
  | {
      mode: "edit";
      unit: Unit;
      initial: ReadingFormValues;
      onSubmit: (body: ReadingUpdate, setError: UseFormSetError<ReadingFormValues>) => Promise<boolean>;
      onCancel: () => void;
    };

/** Enter a reading, or correct one; `onSubmit` returns true when it was saved (a new form empties). */
export function ReadingForm(props: Props) {
  const { t, intl } = useI18n();
  const sep = decimalSeparator(intl);
  const initial = props.mode === "edit" ? props.initial : EMPTY_READING;
  const [nothingChanged, setNothingChanged] = useState(false);

  const resolver = useMemo(() => {
    const formatErrors = (values: ReadingFormValues): FieldErrors<ReadingFormValues> => {
      const errors: FieldErrors<ReadingFormValues> = {};
      const message = t("form.quantityInvalid", { example: `12345${sep}6` });
      if (Number.isNaN(numberOf(values.index_value))) errors.index_value = { type: "format", message };
      if (Number.isNaN(finalIndexOf(values))) errors.replaced_meter_final_index = { type: "format", message };
      return errors;
    };
    return props.mode === "create"
      ? contractResolver(zCreateReadingBody, toReadingCreateBody, formatErrors)
      : contractResolver(zUpdateReadingBody, (values: ReadingFormValues) => toReadingUpdateBody(values, initial), formatErrors);
  }, [props.mode, initial, t, sep]);

  const {
    register,
    handleSubmit,
    setError,
    reset,
    control,
    formState: { errors, isSubmitting },
    mayLeave,
  } = useGuardedForm<ReadingFormValues, ReadingCreate | ReadingUpdate>({ resolver, defaultValues: initial });
  const replacement = useWatch({ control, name: "replacement" });
  const unit = t(`unit.${props.unit}`);

  const submit = handleSubmit(async (body) => {
    setNothingChanged(false);
    if (props.mode === "edit") {
      if (Object.keys(body).length === 0) {
        setNothingChanged(true);
        return;
      }
      await props.onSubmit(body as ReadingUpdate, setError);
    } else if (await props.onSubmit(body as ReadingCreate, setError)) {
      reset(EMPTY_READING);
    }
  });

  return (
    <form onSubmit={submit} noValidate aria-label={props.mode === "create" ? t("readings.add") : t("readings.edit")} className="space-y-4">
      {nothingChanged && <Alert tone="info">{t("form.nothingChanged")}</Alert>}
      {errors.root?.server?.message && <Alert>{errors.root.server.message}</Alert>}
      <fieldset disabled={isSubmitting} className="grid gap-4 sm:grid-cols-2">
        <DayField label={t("readings.date")} hint={t("readings.dateHint")} error={errors.date?.message} {...register("date")} />
        <TextField
          label={t("readings.index", { unit })}
          hint={t("readings.indexHint")}
          inputMode="decimal"
          autoComplete="off"
          error={errors.index_value?.message}
          {...register("index_value")}
        />
        <CheckboxField
          className="sm:col-span-2"
          label={t("readings.replacement")}
          hint={t("readings.replacementHint")}
          error={errors.replacement?.message}
          {...register("replacement")}
        />
        {replacement && (
          <TextField
            label={t("readings.finalIndex", { unit })}
            optional={t("common.optional")}
            hint={t("readings.finalIndexHint")}
            inputMode="decimal"
            autoComplete="off"
            error={errors.replaced_meter_final_index?.message}
            {...register("replaced_meter_final_index")}
          />
        )}
      </fieldset>
      <div className="flex justify-end gap-2">
        {props.mode === "edit" && (
          <Button variant="secondary" onClick={() => mayLeave() && props.onCancel()}>
            {t("common.cancel")}
          </Button>
        )}
        <Button type="submit" busy={isSubmitting}>
          {isSubmitting ? t("common.saving") : props.mode === "create" ? t("readings.submit") : t("common.save")}
        </Button>
      </div>
    </form>
  );
}
