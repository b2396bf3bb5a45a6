"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { toast } from "sonner";

import { login } from "@/client";
import { RegisterForm } from "@/components/forms/RegisterForm";
import { ServiceUnreachable } from "@/components/ServiceUnreachable";
import { Card, Loading } from "@/components/ui";
import { useAuth } from "@/lib/auth/AuthProvider";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { useTitle } from "@/lib/use-title";

export default function RegisterPage() {
  const { t } = useI18n();
  const { status, signIn } = useAuth();
  const router = useRouter();
  useTitle(t("auth.register.title"));

  useEffect(() => {
    if (status === "authenticated") router.replace("/consumptions");
  }, [status, router]);

  if (status === "unreachable") return <ServiceUnreachable />;
  if (status !== "anonymous") return <Loading label={t("auth.checking")} />;

  return (
    <Card>
      <h1 className="text-2xl font-bold tracking-tight">{t("auth.register.title")}</h1>
      <p className="mb-6 mt-1 text-sm text-slate-600 dark:text-slate-400">{t("auth.register.subtitle")}</p>
      <RegisterForm
        onRegistered={async (_user, body) => {
          toast.success(t("auth.register.done"));
          // Registration does not open a session; log in with what was just typed.
          try {
            const { data } = await login({ body: { username: body.username, password: body.password }, throwOnError: true });
            signIn(data);
          } catch {
            router.push("/login");
          }
        }}
      />
      <p className="mt-6 text-center text-sm text-slate-600 dark:text-slate-400">
        {t("auth.register.haveAccount")}{" "}
        <Link href="/login" className="font-semibold text-emerald-700 underline-offset-2 hover:underline dark:text-emerald-400">
          {t("auth.register.toLogin")}
        </Link>
      </p>
    </Card>
  );
}
