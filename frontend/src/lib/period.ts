import { CONTRACT_FACTS } from "@/client/contract-facts.gen";
import { zDay } from "@/client/zod.gen";

import { daysBetween } from "./kpis";

/**
 * The contract's cross-field rule for a record's period ("The period ends on or after it starts
 * and spans at most 366 days", ConsumptionCreate's description and `x-max-period-days`). JSON Schema cannot express a
 * rule between two fields, so the generated Zod schemas cannot check it: this is its one copy in
 * the web app, so the form says it before sending instead of waiting for the server's 422.
 */
export const MAX_PERIOD_DAYS: number = CONTRACT_FACTS.maxPeriodDays;

export type PeriodProblem = "endBeforeStart" | "tooLong";

/** What is wrong with a period of two valid days, or null; other faults are the schema's to report. */
export function periodProblem(start: string, end: string): PeriodProblem | null {
  if (!zDay.safeParse(start).success || !zDay.safeParse(end).success) return null;
  if (end < start) return "endBeforeStart";
  if (daysBetween(start, end) > MAX_PERIOD_DAYS) return "tooLong";
  return null;
}
