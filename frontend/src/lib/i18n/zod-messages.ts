import * as z from "zod";

import type { Locale } from "./messages";

// Human messages for the generated schemas' checks, in the UI language. Zod's own locales name
// types and regexes ("expected number, received undefined"), which suits developers, not users.
type Issue = z.core.$ZodRawIssue;

const text = {
  en: {
    required: "This field is required.",
    number: "Enter a number.",
    option: "Choose one of the options.",
    minChars: (n: number) => `Use at least ${n} characters.`,
    maxChars: (n: number) => `Use at most ${n} characters.`,
    exactChars: (n: number) => `Use exactly ${n} characters.`,
    min: (n: number) => `Must be ${n} or more.`,
    max: (n: number) => `Must be ${n} or less.`,
    decimals: (n: number) => (n === 0 ? "Use a whole number." : `Use at most ${n} decimal${n === 1 ? "" : "s"}.`),
    integer: "Use a whole number.",
    email: "Enter a valid email address.",
    date: "Enter a valid date.",
    format: "This value is not valid here.",
    dayRange: "Use a date from 1 January 2000 to 31 December 2100.",
    noSpaces: "Remove the spaces: write it in one piece.",
    unknownKeys: "Unexpected field.",
  },
  es: {
    required: "Este campo es obligatorio.",
    number: "Escribe un número.",
    option: "Elige una de las opciones.",
    minChars: (n: number) => `Usa al menos ${n} caracteres.`,
    maxChars: (n: number) => `Usa como máximo ${n} caracteres.`,
    exactChars: (n: number) => `Usa exactamente ${n} caracteres.`,
    min: (n: number) => `Debe ser ${n} o más.`,
    max: (n: number) => `Debe ser ${n} o menos.`,
    decimals: (n: number) => (n === 0 ? "Usa un número entero." : `Usa como máximo ${n} decimal${n === 1 ? "" : "es"}.`),
    integer: "Usa un número entero.",
    email: "Escribe un correo electrónico válido.",
    date: "Escribe una fecha válida.",
    format: "Este valor no es válido aquí.",
    dayRange: "Usa una fecha entre el 1 de enero de 2000 y el 31 de diciembre de 2100.",
    noSpaces: "Quita los espacios: escríbelo todo junto.",
    unknownKeys: "Campo no esperado.",
  },
} as const;

function decimalsOf(step: number): number {
  const [, fraction = ""] = String(step).split(".");
  return fraction.length;
}

/**
 * The rule behind a contract `pattern`, told by what it accepts rather than by its source text:
 * the day range (2000–2100) and "no spaces" (identifiers such as a phone number in E.164).
 */
function patternMessage(pattern: unknown, m: (typeof text)[Locale]): string | undefined {
  if (typeof pattern !== "string") return undefined;
  // Zod reports the pattern as a regex literal ("/^…$/flags").
  const literal = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  let regex: RegExp;
  try {
    regex = literal ? new RegExp(literal[1] ?? "", literal[2]) : new RegExp(pattern);
  } catch {
    return undefined;
  }
  if (regex.test("2026-01-31") && !regex.test("1999-12-31")) return m.dayRange;
  if (regex.test("+56912345678") && !regex.test("912 345 678")) return m.noSpaces;
  return undefined;
}

export function messageFor(issue: Issue, locale: Locale): string | undefined {
  const m = text[locale];
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined || issue.input === null || issue.input === "") return m.required;
      // 1.5 where the contract wants an integer (MB, minutes, a day of the month).
      if (issue.expected === "int" && typeof issue.input === "number" && Number.isFinite(issue.input)) return m.integer;
      if (issue.expected === "number" || issue.expected === "int") return m.number;
      return undefined;
    case "invalid_value":
      return m.option;
    case "too_small": {
      const min = Number(issue.minimum);
      if (issue.origin === "string") return issue.input === "" ? m.required : m.minChars(min);
      if (issue.origin === "number" || issue.origin === "int") return m.min(min);
      return undefined;
    }
    case "too_big": {
      const max = Number(issue.maximum);
      if (issue.origin === "string") return m.maxChars(max);
      if (issue.origin === "number" || issue.origin === "int") return m.max(max);
      return undefined;
    }
    case "not_multiple_of":
      return m.decimals(decimalsOf(Number(issue.divisor)));
    case "invalid_format":
      if (issue.format === "email") return m.email;
      if (issue.format === "date") return m.date;
      if (issue.format === "regex") return patternMessage(issue.pattern, m) ?? m.format;
      return m.format;
    case "unrecognized_keys":
      return m.unknownKeys;
    default:
      return undefined;
  }
}

export function configureZod(locale: Locale): void {
  const fallback = locale === "es" ? z.locales.es() : z.locales.en();
  z.config({ ...fallback, customError: (issue) => messageFor(issue, locale) });
}
