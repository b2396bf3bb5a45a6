import { AxiosError } from "axios";
import type { FieldValues, Path, UseFormSetError } from "react-hook-form";

import type { FieldError, Problem, ProblemParams } from "@/client";
import { zProblem } from "@/client/zod.gen";

import { formatDay, formatMoney } from "./format";
import { en, type MessageKey } from "./i18n/messages";

/** The app's translator (`useI18n().t`), and the Intl locale to format amounts and days with. */
export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

/** The RFC 9457 problem an API call failed with, if it failed with one. */
export function problemOf(error: unknown): Problem | null {
  if (!(error instanceof AxiosError)) return null;
  const parsed = zProblem.safeParse(error.response?.data);
  return parsed.success ? parsed.data : null;
}

export function statusOf(error: unknown): number | undefined {
  return error instanceof AxiosError ? error.response?.status : undefined;
}

/**
 * No answer from the API: no response at all, or a server error that is not the API's own (a
 * 5xx without a problem+json body is the web server or a proxy answering for an API that is
 * down). The API's own 500 is a problem, and stays "something went wrong".
 */
export function isNetworkError(error: unknown): boolean {
  if (!(error instanceof AxiosError)) return false;
  const status = error.response?.status;
  return status === undefined || (status >= 500 && problemOf(error) === null);
}

export function retryAfterSeconds(error: unknown): number | undefined {
  if (!(error instanceof AxiosError)) return undefined;
  const value = Number(error.response?.headers?.["retry-after"]);
  return Number.isFinite(value) ? value : undefined;
}

function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

/** A problem's params as its message shows them: amounts in minor units as money, days as days,
 * kinds by their names. */
function shownParams(params: ProblemParams | undefined, t: Translate, intl: string | undefined): Record<string, string | number> {
  const shown: Record<string, string | number> = {};
  const locale = intl ?? (typeof navigator === "undefined" ? "en" : navigator.language);
  for (const [name, value] of Object.entries(params ?? {})) {
    if (value === undefined) continue;
    if (name.endsWith("_minor") && typeof value === "number" && params?.currency) {
      shown[name.slice(0, -"_minor".length)] = formatMoney(value, params.currency, locale);
    } else if (name.endsWith("_date") && typeof value === "string") {
      shown[name] = formatDay(value, locale);
    } else if (name === "meter_kind" && isMessageKey(`meterKind.${value}`)) {
      shown[name] = t(`meterKind.${value}` as MessageKey);
    } else if (name.endsWith("_kind") && isMessageKey(`kind.${value}`)) {
      shown[name] = t(`kind.${value}` as MessageKey).toLowerCase();
    } else {
      shown[name] = value;
    }
  }
  return shown;
}

/**
 * The message of a problem's (or a field error's) `code` in the user's language, or null when the
 * app has none for it (a code newer than the app): then the server's English text is shown.
 */
export function codeMessage(coded: { code?: string; params?: ProblemParams }, t: Translate, intl?: string): string | null {
  const key = `problem.${coded.code ?? ""}`;
  return coded.code && isMessageKey(key) ? t(key, shownParams(coded.params, t, intl)) : null;
}

/** What to show for one field error: its code's message, else the server's. */
export function fieldErrorMessage(error: FieldError, t?: Translate, intl?: string): string {
  return (t && codeMessage(error, t, intl)) ?? error.message;
}

/** What to show for a whole problem: its code's message, else `detail`, else `title`. */
export function problemMessage(problem: Problem, t?: Translate, intl?: string): string {
  return (t && codeMessage(problem, t, intl)) ?? problem.detail ?? problem.title;
}

/**
 * Puts each `errors[]` entry of a problem on the form field it names (`period_end`,
 * `body.period_end`), worded from its code in the user's language when `t` is given. Returns what
 * could not be placed on a field, for a message above the form.
 */
export function applyProblemToForm<T extends FieldValues>(problem: Problem, fields: readonly Path<T>[], setError: UseFormSetError<T>, t?: Translate): string[] {
  const unplaced: string[] = [];
  let focused = false;
  for (const error of problem.errors ?? []) {
    const name = error.field.replace(/^body\./, "") as Path<T>;
    const message = fieldErrorMessage(error, t);
    if (fields.includes(name)) {
      setError(name, { type: "server", message }, { shouldFocus: !focused });
      focused = true;
    } else {
      unplaced.push(message);
    }
  }
  if (!problem.errors?.length) unplaced.push(problemMessage(problem, t));
  return unplaced;
}
