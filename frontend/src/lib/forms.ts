import { zodResolver } from "@hookform/resolvers/zod";
import type { FieldErrors, FieldValues, Resolver } from "react-hook-form";
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
    const errors = { ...(result.errors as FieldErrors<TForm>), ...extra };
    if (Object.keys(errors).length > 0) return { values: {}, errors };
    return { values: result.values as TBody, errors: {} };
  };
}

/** Empty text fields are absent from the body, not empty strings. */
export function withoutEmpty(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== "" && value !== undefined));
}
