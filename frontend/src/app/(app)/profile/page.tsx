"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { toast } from "sonner";

import { deleteCurrentUserMutation, getCurrentUserOptions, getCurrentUserQueryKey } from "@/client/@tanstack/react-query.gen";
import { ApiTokens } from "@/components/ApiTokens";
import { AccountForm, PasswordForm } from "@/components/forms/ProfileForms";
import { Alert, Button, Card, ConfirmDialog, Loading, PageHeader, TextField } from "@/components/ui";
import { useAuth } from "@/lib/auth/AuthProvider";
import { describeError } from "@/lib/errors";
import { formatTimestamp } from "@/lib/format";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { useTitle } from "@/lib/use-title";
import { setSessionUser } from "@/lib/session";

export default function ProfilePage() {
  const { t, intl } = useI18n();
  const { forget } = useAuth();
  const router = useRouter();
  const queryClient = useQueryClient();
  useTitle(t("profile.title"));
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState("");

  const me = useQuery(getCurrentUserOptions());

  const deletion = useMutation({
    ...deleteCurrentUserMutation(),
    onSuccess: () => {
      forget();
      router.replace("/login?reason=account-deleted");
    },
    onError: (error) => {
      toast.error(describeError(error, t));
      setConfirming(false);
    },
  });
  const deleteAccount = () => deletion.mutate({});

  if (me.isPending) return <Loading label={t("common.loading")} />;
  if (me.isError) return <Alert>{describeError(me.error, t)}</Alert>;
  const user = me.data;

  return (
    <div className="mx-auto max-w-3xl space-y-6">
      <PageHeader
        title={t("profile.title")}
        subtitle={`${t("profile.subtitle", { tenant: user.tenant.name })} ${t("profile.role")}: ${t(`role.${user.role}`)} · ${t("profile.memberSince", { date: formatTimestamp(user.created_at, intl) })}`}
      />
      <Card aria-labelledby="account-heading">
        <h2 id="account-heading" className="mb-4 text-lg font-semibold">
          {t("profile.account")}
        </h2>
        <AccountForm
          user={user}
          onSaved={(saved) => {
            queryClient.setQueryData(getCurrentUserQueryKey(), saved);
            setSessionUser(saved);
            toast.success(t("profile.saved"));
          }}
        />
      </Card>
      <Card aria-labelledby="password-heading">
        <h2 id="password-heading" className="text-lg font-semibold">
          {t("profile.password")}
        </h2>
        <p className="mb-4 mt-1 text-sm text-slate-600 dark:text-slate-400">{t("profile.passwordIntro")}</p>
        <PasswordForm
          onChanged={() => {
            forget();
            router.replace("/login?reason=password-changed");
          }}
        />
      </Card>
      <Card aria-labelledby="tokens-heading">
        <h2 id="tokens-heading" className="text-lg font-semibold">
          {t("tokens.title")}
        </h2>
        <p className="mb-4 mt-1 text-sm text-slate-600 dark:text-slate-400">{t("tokens.intro")}</p>
        <ApiTokens user={user} />
      </Card>
      <Card aria-labelledby="danger-heading" className="border-rose-200 dark:border-rose-900">
        <h2 id="danger-heading" className="text-lg font-semibold text-rose-700 dark:text-rose-400">
          {t("profile.danger")}
        </h2>
        <p className="mb-4 mt-1 text-sm text-slate-600 dark:text-slate-400">{t("profile.dangerIntro")}</p>
        <Button
          variant="danger"
          onClick={() => {
            setTyped("");
            setConfirming(true);
          }}
        >
          {t("profile.deleteAccount")}
        </Button>
      </Card>
      <ConfirmDialog
        open={confirming}
        title={t("profile.deleteConfirmTitle")}
        confirmLabel={t("profile.deleteAccount")}
        cancelLabel={t("common.cancel")}
        busy={deletion.isPending}
        confirmDisabled={typed.trim().toLowerCase() !== user.username.toLowerCase()}
        onCancel={() => setConfirming(false)}
        onConfirm={deleteAccount}
      >
        <p>{t("profile.deleteConfirmBody", { username: user.username })}</p>
        <TextField
          className="mt-4"
          label={t("profile.deleteConfirmLabel")}
          autoComplete="off"
          value={typed}
          onChange={(event) => setTyped(event.target.value)}
        />
      </ConfirmDialog>
    </div>
  );
}
