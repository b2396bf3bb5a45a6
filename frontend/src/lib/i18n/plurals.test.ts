import { describe, expect, it } from "vitest";

import { translate } from "./I18nProvider";
import { en, es, MESSAGES, type MessageKey } from "./messages";

describe("messages with a count", () => {
  it("use the singular form for one, in English and Spanish", () => {
    expect(translate(en, "en", "import.done", { count: 1 })).toBe("1 record was added.");
    expect(translate(en, "en", "import.done", { count: 2 })).toBe("2 records were added.");
    expect(translate(en, "en", "import.done", { count: 0 })).toBe("0 records were added.");
    expect(translate(es, "es", "import.done", { count: 1 })).toBe("Se añadió 1 registro.");
    expect(translate(es, "es", "import.commit", { count: 3 })).toBe("Registrar 3 filas");
    expect(translate(en, "en", "overlap.notice", { count: 1 })).toMatch(/^1 record in this range overlaps others/);
  });

  it("keeps a message without a singular form as it is", () => {
    expect(translate(en, "en", "alerts.button", { count: 1 })).toBe("Alerts: 1");
  });

  it("write a numeric count with the language's grouping", () => {
    expect(translate(en, "en", "import.done", { count: 60000 })).toBe("60,000 records were added.");
    expect(translate(es, "es", "import.done", { count: 60000 })).toBe("Se añadieron 60.000 registros.");
  });

  it("say (s) nowhere: a count's message has its singular form instead", () => {
    for (const table of Object.values(MESSAGES)) {
      const guessed = Object.entries(table).filter(([, text]) => text.includes("{count}") && /\w\(s\)/.test(text));
      expect(guessed.map(([key]) => key as MessageKey)).toEqual([]);
    }
  });

  it("give every singular form its plural, in both languages", () => {
    for (const key of Object.keys(en).filter((name) => name.endsWith(".one"))) {
      const plural = key.slice(0, -".one".length);
      expect(plural in en && plural in es, key).toBe(true);
      expect(key in es, key).toBe(true);
    }
  });
});
