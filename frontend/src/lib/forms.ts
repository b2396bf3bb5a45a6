import { zodResolver } from "@hookform/resolvers/zod";
import type { FieldErrors, FieldValues, Resolver, UseFormSetError } from "react-hook-form";
import type * as z from "zod";

/**
 * A React Hook Form resolver that validates with a schema generated from the contract. The form
 * may hold what the user typed (text for numbers, major units for money); `toBody` turns it into
 * the request body, whose keys are the form's field names, so schema errors land on the right
 * fields. `extraErrors` reports what could not even be converted (e.g. "12,3,4" as an amount).
 */
export function contractResolver<TForm extends FieldValues, TBody extends FieldValues>(
  schema: z.ZodType<TBody, FieldValues>,
  toBody: (values: TForm) => Record<string, unknown>,
  extraErrors?: (values: TForm) => FieldErrors<TForm>,
): Resolver<TForm, unknown, TBody> {
  const validate = zodResolver(schema);
  return async (values, context, options) => {
    const result = await validate(toBody(values) as never, context, options as never);
    const extra = extraErrors?.(values) ?? {};
    const errors = mergeErrors(result.errors, extra) as FieldErrors<TForm>;
    if (Object.keys(errors).length > 0) return { values: {}, errors };
    return { values: result.values as TBody, errors: {} };
  };
}

/** A field's own error (as opposed to an object or array holding nested fields' errors). */
function isFieldError(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "type" in value;
}

/**
 * Schema errors and conversion errors together; nested groups (`plan.*`, `items.3.*`) are merged
 * field by field, so a bad price does not hide the schema's error on another field of the plan.
 */
function mergeErrors(schema: unknown, extra: unknown): unknown {
  const bothGroups = [schema, extra].every((value) => typeof value === "object" && value !== null && !isFieldError(value));
  if (!bothGroups) return extra ?? schema;
  const merged = (Array.isArray(schema) ? [...(schema as unknown[])] : { ...(schema as object) }) as Record<string, unknown>;
  for (const [key, value] of Object.entries(extra as object)) merged[key] = key in merged ? mergeErrors(merged[key], value) : value;
  return merged;
}

/** Empty text fields are absent from the body, not empty strings. */
export function withoutEmpty(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== "" && value !== undefined));
}

/** The props of a form that creates one object or edits one: what it submits depends on the mode. */
export type CreateOrEditFormProps<Values extends FieldValues, Create, Update> =
  | {
      mode: "create";
      initial: Values;
      onSubmit: (body: Create, setError: UseFormSetError<Values>) => Promise<void>;
      onCancel: () => void;
    }
  | {
      mode: "edit";
      initial: Values;
      onSubmit: (body: Update, setError: UseFormSetError<Values>) => Promise<void>;
      onCancel: () => void;
      disabled?: boolean;
    };
