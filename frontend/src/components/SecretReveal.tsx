"use client";

import { useId, useState } from "react";

import { useI18n } from "@/lib/i18n/I18nProvider";

import { Alert, Button } from "./ui";

/** A secret shown once (an API token, a webhook signing secret), with a copy button. */
export function SecretReveal({ secret, title, onDone }: { secret: string; title: string; onDone: () => void }) {
  const { t } = useI18n();
  const id = useId();
  const [copied, setCopied] = useState(false);

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }

  return (
    <div className="space-y-3">
      <Alert tone="warning" title={title}>
        {t("secret.onlyOnce")}
      </Alert>
      <label htmlFor={id} className="sr-only">
        {title}
      </label>
      <input
        id={id}
        readOnly
        value={secret}
        onFocus={(event) => event.currentTarget.select()}
        className="block w-full rounded-lg bg-slate-100 px-3 py-2 font-mono text-xs text-slate-900 ring-1 ring-inset ring-slate-300 dark:bg-slate-950 dark:text-slate-100 dark:ring-slate-700"
      />
      <div className="flex flex-wrap gap-2">
        <Button variant="secondary" onClick={copy}>
          {copied ? t("secret.copied") : t("secret.copy")}
        </Button>
        <Button variant="ghost" onClick={onDone}>
          {t("secret.done")}
        </Button>
      </div>
    </div>
  );
}
