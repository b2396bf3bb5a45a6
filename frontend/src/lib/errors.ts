import type { FieldValues, Path, UseFormSetError } from "react-hook-form";

import { applyProblemToForm, fieldErrorMessage, isNetworkError, problemMessage, problemOf, retryAfterSeconds, statusOf, type Translate } from "./problem";

type T = Translate;

/** One human sentence for a failed call, for toasts and form-level alerts. */
export function describeError(error: unknown, t: T): string {
  if (isNetworkError(error)) return t("common.network");
  if (statusOf(error) === 429) return t("common.rateLimited", { seconds: retryAfterSeconds(error) ?? 60 });
  const problem = problemOf(error);
  if (problem) {
    const first = problem.errors?.[0];
    return first ? fieldErrorMessage(first, t) : problemMessage(problem, t);
  }
  return t("common.unexpected");
}

/**
 * A failed submit, shown on its form: field errors on their fields, the rest above the form.
 * Returns what went above the form (for a toast), or null when every error found its field.
 */
export function showErrorOnForm<TForm extends FieldValues>(
  error: unknown,
  fields: readonly Path<TForm>[],
  setError: UseFormSetError<TForm>,
  t: T,
): string | null {
  const problem = problemOf(error);
  const rest = problem ? applyProblemToForm(problem, fields, setError, t) : [describeError(error, t)];
  if (rest.length === 0) return null;
  const message = rest.join(" ");
  setError("root.server", { type: "server", message });
  return message;
}
