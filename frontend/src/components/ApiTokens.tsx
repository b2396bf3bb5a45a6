"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useForm } from "react-hook-form";
import { toast } from "sonner";

import { createApiToken, revokeApiToken, type ApiToken, type ApiTokenCreate, type User } from "@/client";
import { listApiTokensOptions, listApiTokensQueryKey } from "@/client/@tanstack/react-query.gen";
import { zCreateApiTokenBody } from "@/client/zod.gen";
import { describeError, showErrorOnForm } from "@/lib/errors";
import { formatTimestamp } from "@/lib/format";
import { contractResolver } from "@/lib/forms";
import { useI18n } from "@/lib/i18n/I18nProvider";

import { SecretReveal } from "./SecretReveal";
import { Alert, Button, ConfirmDialog, Loading, SelectField, TextField } from "./ui";

/** What the form holds: an access level and a lifetime, turned into `scopes` and `expires_at`. */
interface TokenFormValues {
  name: string;
  scopes: "read" | "write";
  expires_at: "30" | "90" | "365" | "never";
}

const FIELDS = ["name", "scopes", "expires_at"] as const;

function toBody(values: TokenFormValues): Record<string, unknown> {
  const days = values.expires_at === "never" ? null : Number(values.expires_at);
  return {
    name: values.name.trim(),
    scopes: values.scopes === "write" ? ["read", "write"] : ["read"],
    expires_at: days === null ? null : new Date(Date.now() + days * 86_400_000).toISOString(),
  };
}

/** The profile's API tokens: create (the secret shown once), list with last use, revoke. */
export function ApiTokens({ user }: { user: User }) {
  const { t, intl } = useI18n();
  const queryClient = useQueryClient();
  const [secret, setSecret] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const mayNeverExpire = user.role === "owner" || user.role === "admin";

  const tokens = useQuery(listApiTokensOptions({ query: { limit: 100 } }));
  const resolver = useMemo(() => contractResolver<TokenFormValues, ApiTokenCreate>(zCreateApiTokenBody, toBody), []);
  const {
    register,
    handleSubmit,
    setError,
    reset,
    formState: { errors, isSubmitting },
  } = useForm<TokenFormValues, unknown, ApiTokenCreate>({ resolver, defaultValues: { name: "", scopes: "read", expires_at: "90" } });

  const revoke = useMutation({
    mutationFn: async (token: ApiToken) => revokeApiToken({ path: { token_id: token.id }, throwOnError: true }),
    onSuccess: async () => {
      setRevoking(null);
      toast.success(t("tokens.revoked"));
      await queryClient.invalidateQueries({ queryKey: listApiTokensQueryKey() });
    },
    onError: (error) => toast.error(describeError(error, t)),
  });

  const submit = handleSubmit(async (body) => {
    try {
      const created = (await createApiToken({ body, throwOnError: true })).data;
      setSecret(created.token);
      reset({ name: "", scopes: "read", expires_at: "90" });
      await queryClient.invalidateQueries({ queryKey: listApiTokensQueryKey() });
    } catch (error) {
      const shown = showErrorOnForm(error, FIELDS, setError, t);
      if (shown) toast.error(shown);
    }
  });

  return (
    <div className="space-y-5">
      {secret ? (
        <SecretReveal secret={secret} title={t("tokens.yourToken")} onDone={() => setSecret(null)} />
      ) : (
        <form onSubmit={submit} noValidate aria-label={t("tokens.create")} className="space-y-3">
          {errors.root?.server?.message && <Alert>{errors.root.server.message}</Alert>}
          <TextField label={t("tokens.name")} hint={t("tokens.nameHint")} autoComplete="off" error={errors.name?.message} {...register("name")} />
          <div className="grid gap-3 sm:grid-cols-2">
            <SelectField label={t("tokens.access")} error={errors.scopes?.message} {...register("scopes")}>
              <option value="read">{t("tokens.scope.read")}</option>
              <option value="write">{t("tokens.scope.write")}</option>
            </SelectField>
            <SelectField label={t("tokens.expiry")} error={errors.expires_at?.message} {...register("expires_at")}>
              <option value="30">{t("tokens.days", { days: 30 })}</option>
              <option value="90">{t("tokens.days", { days: 90 })}</option>
              <option value="365">{t("tokens.oneYear")}</option>
              {mayNeverExpire && <option value="never">{t("tokens.never")}</option>}
            </SelectField>
          </div>
          <Button type="submit" busy={isSubmitting}>
            {t("tokens.create")}
          </Button>
        </form>
      )}

      {tokens.isPending && <Loading label={t("common.loading")} />}
      {tokens.isError && <Alert>{describeError(tokens.error, t)}</Alert>}
      {tokens.data && tokens.data.items.length === 0 && <p className="text-sm text-slate-600 dark:text-slate-400">{t("tokens.none")}</p>}
      {tokens.data && tokens.data.items.length > 0 && (
        <ul aria-label={t("tokens.list")} className="divide-y divide-slate-200 dark:divide-slate-800">
          {tokens.data.items.map((token) => (
            <li key={token.id} className="flex flex-wrap items-start justify-between gap-3 py-3">
              <div className="min-w-0 text-sm">
                <p className="font-semibold break-words">
                  {token.name} <span className="font-mono text-xs text-slate-500 dark:text-slate-400">…{token.hint}</span>
                </p>
                <p className="text-slate-600 dark:text-slate-400">
                  {token.scopes.includes("write") ? t("tokens.scope.write") : t("tokens.scope.read")} ·{" "}
                  {token.expires_at ? t("tokens.expires", { date: formatTimestamp(token.expires_at, intl) }) : t("tokens.never")}
                </p>
                <p className="text-slate-600 dark:text-slate-400">
                  {token.last_used_at
                    ? t("tokens.lastUsed", { date: formatTimestamp(token.last_used_at, intl), ip: token.last_used_ip ?? "?" })
                    : t("tokens.neverUsed")}
                </p>
              </div>
              <Button variant="secondary" onClick={() => setRevoking(token)} aria-label={t("tokens.revokeNamed", { name: token.name })}>
                {t("tokens.revoke")}
              </Button>
            </li>
          ))}
        </ul>
      )}
      <ConfirmDialog
        open={revoking !== null}
        title={t("tokens.revokeTitle")}
        confirmLabel={t("tokens.revoke")}
        cancelLabel={t("common.cancel")}
        busy={revoke.isPending}
        onCancel={() => setRevoking(null)}
        onConfirm={() => revoking && revoke.mutate(revoking)}
      >
        <p>{t("tokens.revokeBody", { name: revoking?.name ?? "" })}</p>
      </ConfirmDialog>
    </div>
  );
}
