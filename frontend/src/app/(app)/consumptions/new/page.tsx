"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { toast } from "sonner";

import { createConsumption } from "@/client";
import { CONSUMPTION_FIELDS, ConsumptionForm, type ConsumptionFormValues } from "@/components/forms/ConsumptionForm";
import { Card, PageHeader } from "@/components/ui";
import { useAuth } from "@/lib/auth/AuthProvider";
import { invalidateRecordQueries } from "@/lib/consumption";
import { describeError } from "@/lib/errors";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { useTitle } from "@/lib/use-title";
import { applyProblemToForm, problemOf, statusOf } from "@/lib/problem";

export default function NewConsumptionPage() {
  const { t } = useI18n();
  const { user } = useAuth();
  const router = useRouter();
  const queryClient = useQueryClient();
  useTitle(t("form.new.title"));
  // One key per form: a retried submit (double click, flaky network) replays instead of duplicating.
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());

  const initial = useMemo<ConsumptionFormValues>(
    () => ({
      kind: "",
      quantity: "",
      period_start: "",
      period_end: "",
      cost_minor: "",
      currency: user?.tenant.default_currency ?? "EUR",
      notes: "",
    }),
    [user],
  );

  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader title={t("form.new.title")} subtitle={t("form.new.subtitle")} />
      <Card>
        <ConsumptionForm
          mode="create"
          initial={initial}
          onCancel={() => router.push("/consumptions")}
          onSubmit={async (body, setError) => {
            try {
              await createConsumption({ body, headers: { "Idempotency-Key": idempotencyKey }, throwOnError: true });
              await invalidateRecordQueries(queryClient);
              toast.success(t("form.created"));
              router.push("/consumptions");
            } catch (error) {
              const problem = problemOf(error);
              // The body was refused: a corrected one is a new request and needs a new key.
              if (statusOf(error) === 400 || statusOf(error) === 422) setIdempotencyKey(crypto.randomUUID());
              const rest = problem ? applyProblemToForm(problem, CONSUMPTION_FIELDS, setError) : [describeError(error, t)];
              if (rest.length) {
                setError("root.server", { type: "server", message: rest.join(" ") });
                toast.error(rest.join(" "));
              }
            }
          }}
        />
      </Card>
    </div>
  );
}
