"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useMemo, useState } from "react";
import { toast } from "sonner";

import { createConsumption } from "@/client";
import { zConsumptionKind, zMeterId } from "@/client/zod.gen";
import { CONSUMPTION_FIELDS, ConsumptionForm, type ConsumptionFormValues } from "@/components/forms/ConsumptionForm";
import { Card, Loading, PageHeader } from "@/components/ui";
import { useAuth } from "@/lib/auth/AuthProvider";
import { invalidateRecordQueries } from "@/lib/consumption";
import { showErrorOnForm } from "@/lib/errors";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { useMeterOptions } from "@/lib/meter-queries";
import { statusOf } from "@/lib/problem";
import { useTitle } from "@/lib/use-title";

function NewConsumption() {
  const { t } = useI18n();
  const { user } = useAuth();
  const router = useRouter();
  const params = useSearchParams();
  const meters = useMeterOptions();
  // A meter's page links here with its meter (and kind) chosen: `?meter_id=…&kind=…`.
  const presetMeter = zMeterId.safeParse(params.get("meter_id"));
  const presetKind = zConsumptionKind.safeParse(params.get("kind"));
  const meterId = presetMeter.success ? presetMeter.data : "";
  const kind = presetKind.success ? presetKind.data : "";
  const queryClient = useQueryClient();
  useTitle(t("form.new.title"));
  // One key per form: a retried submit (double click, flaky network) replays instead of duplicating.
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());

  const initial = useMemo<ConsumptionFormValues>(
    () => ({
      kind,
      quantity: "",
      period_start: "",
      period_end: "",
      cost_minor: "",
      currency: user?.tenant.default_currency ?? "EUR",
      notes: "",
      meter_id: meterId,
    }),
    [user, kind, meterId],
  );

  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader title={t("form.new.title")} subtitle={t("form.new.subtitle")} />
      <Card>
        <ConsumptionForm
          mode="create"
          initial={initial}
          meters={meters.data}
          onCancel={() => router.push(meterId ? `/meters/${meterId}` : "/consumptions")}
          onSubmit={async (body, setError) => {
            try {
              const created = await createConsumption({ body, headers: { "Idempotency-Key": idempotencyKey }, throwOnError: true });
              await invalidateRecordQueries(queryClient);
              toast.success(t("form.created"));
              // The API says how many records of the same kind and meter share a day with this one.
              const overlaps = created.data.overlaps;
              if (overlaps > 0) toast.warning(t("form.overlaps", { count: overlaps }), { duration: 10_000 });
              router.push(meterId ? `/meters/${meterId}` : "/consumptions");
            } catch (error) {
              // The body was refused: a corrected one is a new request and needs a new key.
              if (statusOf(error) === 400 || statusOf(error) === 422) setIdempotencyKey(crypto.randomUUID());
              const message = showErrorOnForm(error, CONSUMPTION_FIELDS, setError, t);
              if (message) toast.error(message);
            }
          }}
        />
      </Card>
    </div>
  );
}

export default function NewConsumptionPage() {
  const { t } = useI18n();
  return (
    <Suspense fallback={<Loading label={t("common.loading")} />}>
      <NewConsumption />
    </Suspense>
  );
}
