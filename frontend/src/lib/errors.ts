import type { MessageKey } from "./i18n/messages";
import { isNetworkError, problemOf, retryAfterSeconds, statusOf } from "./problem";

type T = (key: MessageKey, values?: Record<string, string | number>) => string;

/** One human sentence for a failed call, for toasts and form-level alerts. */
export function describeError(error: unknown, t: T): string {
  if (isNetworkError(error)) return t("common.network");
  if (statusOf(error) === 429) return t("common.rateLimited", { seconds: retryAfterSeconds(error) ?? 60 });
  const problem = problemOf(error);
  if (problem) return problem.errors?.[0]?.message ?? problem.detail ?? problem.title;
  return t("common.unexpected");
}
