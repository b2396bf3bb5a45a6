"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useForm } from "react-hook-form";
import { toast } from "sonner";

import {
  createWebhook,
  deleteWebhook,
  redeliverWebhook,
  rotateWebhookSecret,
  sendWebhookTest,
  updateWebhook,
  type WebhookEndpoint,
  type WebhookEndpointCreate,
  type WebhookEventType,
} from "@/client";
import {
  getCurrentUserOptions,
  listWebhookDeliveriesOptions,
  listWebhookDeliveriesQueryKey,
  listWebhooksOptions,
  listWebhooksQueryKey,
} from "@/client/@tanstack/react-query.gen";
import { zCreateWebhookBody, zWebhookEventType } from "@/client/zod.gen";
import { SecretReveal } from "@/components/SecretReveal";
import { Alert, Button, Card, CheckboxField, ConfirmDialog, Loading, PageHeader, TextField } from "@/components/ui";
import { describeError, showErrorOnForm } from "@/lib/errors";
import { formatTimestamp } from "@/lib/format";
import { contractResolver } from "@/lib/forms";
import { useI18n } from "@/lib/i18n/I18nProvider";
import type { MessageKey } from "@/lib/i18n/messages";
import { useTitle } from "@/lib/use-title";
import { ifMatch } from "@/lib/use-versioned-resource";

const EVENT_TYPES = zWebhookEventType.options as readonly WebhookEventType[];
const FIELDS = ["url", "description", "event_types"] as const;

interface EndpointFormValues {
  url: string;
  description: string;
  event_types: WebhookEventType[];
}

function toBody(values: EndpointFormValues): Record<string, unknown> {
  return { url: values.url.trim(), description: values.description, event_types: values.event_types ?? [] };
}

function Deliveries({ endpoint }: { endpoint: WebhookEndpoint }) {
  const { t, intl } = useI18n();
  const queryClient = useQueryClient();
  const deliveries = useQuery(listWebhookDeliveriesOptions({ path: { webhook_id: endpoint.id }, query: { limit: 25 } }));
  const redeliver = useMutation({
    mutationFn: async (id: string) => redeliverWebhook({ path: { webhook_id: endpoint.id, delivery_id: id }, throwOnError: true }),
    onSuccess: async () => {
      toast.success(t("webhooks.redelivered"));
      await queryClient.invalidateQueries({ queryKey: listWebhookDeliveriesQueryKey({ path: { webhook_id: endpoint.id } }) });
    },
    onError: (error) => toast.error(describeError(error, t)),
  });
  if (deliveries.isPending) return <Loading label={t("common.loading")} />;
  if (deliveries.isError) return <Alert>{describeError(deliveries.error, t)}</Alert>;
  if (deliveries.data.items.length === 0) return <p className="text-sm text-slate-600 dark:text-slate-400">{t("webhooks.noDeliveries")}</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">{t("webhooks.deliveries")}</caption>
        <thead className="text-xs uppercase text-slate-600 dark:text-slate-400">
          <tr>
            <th scope="col" className="py-2 pr-3">
              {t("webhooks.event")}
            </th>
            <th scope="col" className="py-2 pr-3">
              {t("webhooks.status")}
            </th>
            <th scope="col" className="py-2 pr-3">
              {t("webhooks.attempts")}
            </th>
            <th scope="col" className="py-2 pr-3">
              {t("webhooks.response")}
            </th>
            <th scope="col" className="py-2 pr-3">
              {t("webhooks.nextRetry")}
            </th>
            <th scope="col" className="py-2">
              <span className="sr-only">{t("webhooks.actions")}</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
          {deliveries.data.items.map((delivery) => (
            <tr key={delivery.id}>
              <td className="py-2 pr-3 font-mono text-xs">{delivery.event_type}</td>
              <td className="py-2 pr-3">{t(`webhooks.state.${delivery.status}` as MessageKey)}</td>
              <td className="py-2 pr-3">{delivery.attempts}</td>
              <td className="py-2 pr-3" title={delivery.error ?? undefined}>
                {delivery.response_status ?? "—"}
                {delivery.duration_ms !== null && ` · ${delivery.duration_ms} ms`}
              </td>
              <td className="py-2 pr-3">{delivery.next_retry_at ? formatTimestamp(delivery.next_retry_at, intl) : "—"}</td>
              <td className="py-2">
                <Button variant="ghost" onClick={() => redeliver.mutate(delivery.id)} busy={redeliver.isPending && redeliver.variables === delivery.id}>
                  {t("webhooks.redeliver")}
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function EndpointCard({ endpoint, onSecret }: { endpoint: WebhookEndpoint; onSecret: (secret: string) => void }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [showDeliveries, setShowDeliveries] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: listWebhooksQueryKey() });
  const run = useMutation({
    mutationFn: async (action: "test" | "rotate" | "toggle" | "delete") => {
      const path = { webhook_id: endpoint.id };
      const headers = ifMatch(endpoint);
      if (action === "test") return void (await sendWebhookTest({ path, throwOnError: true }));
      if (action === "rotate") return onSecret((await rotateWebhookSecret({ path, throwOnError: true })).data.secret);
      if (action === "toggle") return void (await updateWebhook({ path, headers, body: { active: !endpoint.active }, throwOnError: true }));
      await deleteWebhook({ path, headers, throwOnError: true });
    },
    onSuccess: async (_result, action) => {
      if (action === "test") toast.success(t("webhooks.testSent"));
      if (action === "delete") setDeleting(false);
      await refresh();
      await queryClient.invalidateQueries({ queryKey: listWebhookDeliveriesQueryKey({ path: { webhook_id: endpoint.id } }) });
    },
    onError: (error) => toast.error(describeError(error, t)),
  });
  const headingId = `webhook-${endpoint.id}`;
  return (
    <Card aria-labelledby={headingId} className="space-y-3">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <h2 id={headingId} className="break-all font-mono text-sm font-semibold">
            {endpoint.url}
          </h2>
          {endpoint.description && <p className="text-sm text-slate-600 dark:text-slate-400">{endpoint.description}</p>}
        </div>
        <span
          className={
            "rounded-full px-2 py-0.5 text-xs font-semibold " +
            (endpoint.active
              ? "bg-emerald-100 text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100"
              : "bg-slate-200 text-slate-800 dark:bg-slate-800 dark:text-slate-200")
          }
        >
          {endpoint.active ? t("webhooks.active") : t("webhooks.disabled")}
        </span>
      </div>
      {endpoint.disabled_reason && <Alert tone="warning">{endpoint.disabled_reason}</Alert>}
      <p className="text-xs text-slate-600 dark:text-slate-400">{endpoint.event_types.join(", ")}</p>
      <div className="flex flex-wrap gap-2">
        <Button variant="secondary" onClick={() => run.mutate("test")} busy={run.isPending && run.variables === "test"}>
          {t("webhooks.sendTest")}
        </Button>
        <Button variant="secondary" onClick={() => run.mutate("rotate")} busy={run.isPending && run.variables === "rotate"}>
          {t("webhooks.rotate")}
        </Button>
        <Button variant="secondary" onClick={() => run.mutate("toggle")} busy={run.isPending && run.variables === "toggle"}>
          {endpoint.active ? t("webhooks.disable") : t("webhooks.enable")}
        </Button>
        <Button variant="secondary" aria-expanded={showDeliveries} onClick={() => setShowDeliveries(!showDeliveries)}>
          {t("webhooks.deliveries")}
        </Button>
        <Button variant="ghost" onClick={() => setDeleting(true)}>
          {t("common.delete")}
        </Button>
      </div>
      {showDeliveries && <Deliveries endpoint={endpoint} />}
      <ConfirmDialog
        open={deleting}
        title={t("webhooks.deleteTitle")}
        confirmLabel={t("common.delete")}
        cancelLabel={t("common.cancel")}
        busy={run.isPending && run.variables === "delete"}
        onCancel={() => setDeleting(false)}
        onConfirm={() => run.mutate("delete")}
      >
        <p>{t("webhooks.deleteBody", { url: endpoint.url })}</p>
      </ConfirmDialog>
    </Card>
  );
}

function NewEndpointForm({ onCreated }: { onCreated: (secret: string) => void }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const resolver = useMemo(() => contractResolver<EndpointFormValues, WebhookEndpointCreate>(zCreateWebhookBody, toBody), []);
  const {
    register,
    handleSubmit,
    setError,
    reset,
    formState: { errors, isSubmitting },
  } = useForm<EndpointFormValues, unknown, WebhookEndpointCreate>({ resolver, defaultValues: { url: "", description: "", event_types: [] } });
  const submit = handleSubmit(async (body) => {
    try {
      const created = (await createWebhook({ body, throwOnError: true })).data;
      reset({ url: "", description: "", event_types: [] });
      onCreated(created.secret);
      await queryClient.invalidateQueries({ queryKey: listWebhooksQueryKey() });
    } catch (error) {
      const shown = showErrorOnForm(error, FIELDS, setError, t);
      if (shown) toast.error(shown);
    }
  });
  return (
    <form onSubmit={submit} noValidate aria-label={t("webhooks.add")} className="space-y-3">
      {errors.root?.server?.message && <Alert>{errors.root.server.message}</Alert>}
      <TextField label={t("webhooks.url")} hint={t("webhooks.urlHint")} inputMode="url" autoComplete="off" error={errors.url?.message} {...register("url")} />
      <TextField
        label={t("webhooks.description")}
        optional={t("common.optional")}
        autoComplete="off"
        error={errors.description?.message}
        {...register("description")}
      />
      <fieldset>
        <legend className="mb-2 text-sm font-medium text-slate-800 dark:text-slate-200">{t("webhooks.events")}</legend>
        <div className="grid gap-2 sm:grid-cols-2">
          {EVENT_TYPES.map((type) => (
            <CheckboxField key={type} label={type} value={type} {...register("event_types")} />
          ))}
        </div>
        {errors.event_types?.message && <p className="mt-1 text-xs font-medium text-rose-600 dark:text-rose-400">{t("webhooks.pickEvents")}</p>}
      </fieldset>
      <Button type="submit" busy={isSubmitting}>
        {t("webhooks.add")}
      </Button>
    </form>
  );
}

export default function WebhooksPage() {
  const { t } = useI18n();
  useTitle(t("webhooks.title"));
  const [secret, setSecret] = useState<string | null>(null);
  const me = useQuery(getCurrentUserOptions());
  const manager = me.data?.role === "owner" || me.data?.role === "admin";
  const endpoints = useQuery({ ...listWebhooksOptions({ query: { limit: 100 } }), enabled: manager });

  if (me.isPending) return <Loading label={t("common.loading")} />;
  if (me.isError) return <Alert>{describeError(me.error, t)}</Alert>;
  return (
    <div className="mx-auto max-w-3xl space-y-6">
      <PageHeader title={t("webhooks.title")} subtitle={t("webhooks.subtitle")} />
      {!manager ? (
        <Alert tone="info">{t("webhooks.managersOnly")}</Alert>
      ) : (
        <>
          <Card aria-labelledby="new-webhook-heading">
            <h2 id="new-webhook-heading" className="mb-4 text-lg font-semibold">
              {t("webhooks.add")}
            </h2>
            {secret ? <SecretReveal secret={secret} title={t("webhooks.secret")} onDone={() => setSecret(null)} /> : <NewEndpointForm onCreated={setSecret} />}
          </Card>
          {endpoints.isPending && <Loading label={t("common.loading")} />}
          {endpoints.isError && <Alert>{describeError(endpoints.error, t)}</Alert>}
          {endpoints.data?.items.length === 0 && <p className="text-sm text-slate-600 dark:text-slate-400">{t("webhooks.none")}</p>}
          {endpoints.data?.items.map((endpoint) => (
            <EndpointCard key={endpoint.id} endpoint={endpoint} onSecret={setSecret} />
          ))}
        </>
      )}
    </div>
  );
}
