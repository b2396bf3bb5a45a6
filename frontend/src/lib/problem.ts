import { AxiosError } from "axios";
import type { FieldValues, Path, UseFormSetError } from "react-hook-form";
import { ZodError } from "zod";

import type { Problem } from "@/client";
import { zProblem } from "@/client/zod.gen";

/** The RFC 9457 problem an API call failed with, if it failed with one. */
export function problemOf(error: unknown): Problem | null {
  if (!(error instanceof AxiosError)) return null;
  const parsed = zProblem.safeParse(error.response?.data);
  return parsed.success ? parsed.data : null;
}

export function statusOf(error: unknown): number | undefined {
  return error instanceof AxiosError ? error.response?.status : undefined;
}

export function isNetworkError(error: unknown): boolean {
  return error instanceof AxiosError && !error.response;
}

export function retryAfterSeconds(error: unknown): number | undefined {
  if (!(error instanceof AxiosError)) return undefined;
  const value = Number(error.response?.headers?.["retry-after"]);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Puts each `errors[]` entry of a problem on the form field it names (`period_end`,
 * `body.period_end`). Returns what could not be placed on a field, for a message above the form.
 */
export function applyProblemToForm<T extends FieldValues>(
  problem: Problem,
  fields: readonly Path<T>[],
  setError: UseFormSetError<T>,
): string[] {
  const unplaced: string[] = [];
  let focused = false;
  for (const { field, message } of problem.errors ?? []) {
    const name = field.replace(/^body\./, "") as Path<T>;
    if (fields.includes(name)) {
      setError(name, { type: "server", message }, { shouldFocus: !focused });
      focused = true;
    } else {
      unplaced.push(message);
    }
  }
  if (!problem.errors?.length) unplaced.push(problem.detail ?? problem.title);
  return unplaced;
}

export { ZodError };
