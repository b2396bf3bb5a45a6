"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useEffect } from "react";

import { LoginForm } from "@/components/forms/LoginForm";
import { ServiceUnreachable } from "@/components/ServiceUnreachable";
import { Alert, Card, Loading } from "@/components/ui";
import { useAuth } from "@/lib/auth/AuthProvider";
import { safeNext } from "@/lib/auth/safe-next";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { useTitle } from "@/lib/use-title";
import type { MessageKey } from "@/lib/i18n/messages";

const REASONS: Record<string, MessageKey> = {
  expired: "auth.login.expired",
  "password-changed": "auth.login.passwordChanged",
  "account-deleted": "auth.login.accountDeleted",
};

function LoginPage() {
  const { t } = useI18n();
  const { status, signIn } = useAuth();
  const router = useRouter();
  const params = useSearchParams();
  const next = safeNext(params.get("next"));
  const reason = REASONS[params.get("reason") ?? ""];
  useTitle(t("auth.login.title"));

  useEffect(() => {
    if (status === "authenticated") router.replace(next);
  }, [status, router, next]);

  if (status === "unreachable") return <ServiceUnreachable />;
  if (status !== "anonymous") return <Loading label={t("auth.checking")} />;

  return (
    <Card>
      <h1 className="text-2xl font-bold tracking-tight">{t("auth.login.title")}</h1>
      <p className="mb-6 mt-1 text-sm text-slate-600 dark:text-slate-400">{t("auth.login.subtitle")}</p>
      {reason && (
        <div className="mb-4">
          <Alert tone="info">{t(reason)}</Alert>
        </div>
      )}
      <LoginForm onLoggedIn={signIn} />
      <p className="mt-6 text-center text-sm text-slate-600 dark:text-slate-400">
        {t("auth.login.noAccount")}{" "}
        <Link href="/register" className="font-semibold text-emerald-700 underline-offset-2 hover:underline dark:text-emerald-400">
          {t("auth.login.toRegister")}
        </Link>
      </p>
    </Card>
  );
}

export default function Page() {
  return (
    <Suspense>
      <LoginPage />
    </Suspense>
  );
}
