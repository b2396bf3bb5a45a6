"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { toast } from "sonner";

import type { TenantSettings, TenantUpdate } from "@/client";
import { getTenantOptions, getTenantQueryKey, updateTenantMutation } from "@/client/@tanstack/react-query.gen";
import { Alert, Button, Card, Loading, PageHeader, TextField } from "@/components/ui";
import { useAuth } from "@/lib/auth/AuthProvider";
import { describeError } from "@/lib/errors";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { statusOf } from "@/lib/problem";
import { useTitle } from "@/lib/use-title";
import { ifMatch } from "@/lib/use-versioned-resource";

export default function OrganisationPage() {
  const { t } = useI18n();
  useTitle(t("org.title"));
  const tenant = useQuery(getTenantOptions());
  if (tenant.isPending) return <Loading label={t("common.loading")} />;
  if (tenant.isError) return <Alert>{describeError(tenant.error, t)}</Alert>;
  return <OrganisationForm key={tenant.data.version} tenant={tenant.data} />;
}

function OrganisationForm({ tenant }: { tenant: TenantSettings }) {
  const { t } = useI18n();
  const { user } = useAuth();
  const queryClient = useQueryClient();
  const manages = user?.role === "owner" || user?.role === "admin";
  const [values, setValues] = useState({
    name: tenant.name,
    default_currency: tenant.default_currency,
    time_zone: tenant.time_zone,
    locale: tenant.locale,
  });
  const [error, setError] = useState<{ field: string | null; message: string } | null>(null);
  const saving = useMutation({
    ...updateTenantMutation(),
    onMutate: () => setError(null),
    onSuccess: (saved) => {
      queryClient.setQueryData(getTenantQueryKey(), saved);
      toast.success(t("org.saved"));
    },
    onError: async (failure) => {
      if (statusOf(failure) === 412) {
        toast.error(t("org.stale"));
        await queryClient.invalidateQueries({ queryKey: getTenantQueryKey() });
      } else {
        const problem = (failure as { response?: { data?: { errors?: Array<{ field: string }> } } }).response?.data;
        setError({ field: problem?.errors?.[0]?.field ?? null, message: describeError(failure, t) });
      }
    },
  });

  function save(event: React.FormEvent) {
    event.preventDefault();
    const changes: TenantUpdate = {};
    if (values.name !== tenant.name) changes.name = values.name;
    if (values.default_currency !== tenant.default_currency) changes.default_currency = values.default_currency.toUpperCase();
    if (values.time_zone !== tenant.time_zone) changes.time_zone = values.time_zone;
    if (values.locale !== tenant.locale) changes.locale = values.locale;
    if (Object.keys(changes).length === 0) return;
    saving.mutate({ headers: ifMatch(tenant), body: changes });
  }

  const fieldError = (field: string) => (error?.field === field ? error.message : undefined);
  return (
    <div className="mx-auto max-w-3xl space-y-6">
      <PageHeader title={t("org.title")} subtitle={t("org.subtitle", { tenant: tenant.name })} />
      {!manages && <Alert tone="info">{t("org.readOnly")}</Alert>}
      <Card>
        <form onSubmit={(event) => void save(event)} className="grid gap-4 sm:grid-cols-2">
          {error && error.field === null && (
            <div className="sm:col-span-2">
              <Alert>{error.message}</Alert>
            </div>
          )}
          <TextField
            className="sm:col-span-2"
            label={t("org.name")}
            required
            maxLength={100}
            readOnly={!manages}
            value={values.name}
            error={fieldError("name")}
            onChange={(event) => setValues({ ...values, name: event.target.value })}
          />
          <TextField
            label={t("org.currency")}
            hint={t("org.currencyHint")}
            required
            minLength={3}
            maxLength={3}
            readOnly={!manages}
            value={values.default_currency}
            error={fieldError("default_currency")}
            onChange={(event) => setValues({ ...values, default_currency: event.target.value })}
          />
          <TextField
            label={t("org.timeZone")}
            hint={t("org.timeZoneHint")}
            required
            maxLength={64}
            readOnly={!manages}
            value={values.time_zone}
            error={fieldError("time_zone")}
            onChange={(event) => setValues({ ...values, time_zone: event.target.value })}
          />
          <TextField
            label={t("org.locale")}
            required
            maxLength={16}
            readOnly={!manages}
            value={values.locale}
            error={fieldError("locale")}
            onChange={(event) => setValues({ ...values, locale: event.target.value })}
          />
          {manages && (
            <div className="sm:col-span-2">
              <Button type="submit" busy={saving.isPending}>
                {saving.isPending ? t("common.saving") : t("common.save")}
              </Button>
            </div>
          )}
        </form>
      </Card>
    </div>
  );
}
