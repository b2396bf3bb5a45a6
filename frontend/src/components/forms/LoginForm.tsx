"use client";

import { useState } from "react";
import { useForm } from "react-hook-form";

import { login, type LoginRequestWritable, type TokenResponse } from "@/client";
import { zLoginBody } from "@/client/zod.gen";
import { Alert, Button, TextField } from "@/components/ui";
import { describeError } from "@/lib/errors";
import { contractResolver } from "@/lib/forms";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { applyProblemToForm, problemOf, statusOf } from "@/lib/problem";

const FIELDS = ["username", "password"] as const;

export function LoginForm({ onLoggedIn }: { onLoggedIn: (tokens: TokenResponse) => void }) {
  const { t } = useI18n();
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting },
  } = useForm<LoginRequestWritable, unknown, LoginRequestWritable>({
    resolver: contractResolver(zLoginBody, (values) => ({ ...values })),
    defaultValues: { username: "", password: "" },
  });

  const onSubmit = handleSubmit(async (body) => {
    setFormError(null);
    try {
      const { data } = await login({ body, throwOnError: true });
      onLoggedIn(data);
    } catch (error) {
      if (statusOf(error) === 401) {
        setFormError(t("auth.login.failed"));
        setError("password", { type: "server", message: t("auth.login.failed") }, { shouldFocus: true });
        return;
      }
      const problem = problemOf(error);
      const rest = problem && statusOf(error) !== 429 ? applyProblemToForm(problem, FIELDS, setError, t) : [describeError(error, t)];
      if (rest.length) setFormError(rest.join(" "));
    }
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4">
      {formError && <Alert>{formError}</Alert>}
      <TextField label={t("auth.login.username")} autoComplete="username" autoFocus error={errors.username?.message} {...register("username")} />
      <TextField label={t("auth.login.password")} type="password" autoComplete="current-password" error={errors.password?.message} {...register("password")} />
      <Button type="submit" busy={isSubmitting} className="w-full">
        {isSubmitting ? t("auth.login.submitting") : t("auth.login.submit")}
      </Button>
    </form>
  );
}
