"use client";

import { useState } from "react";
import { useForm } from "react-hook-form";

import { register as registerAccount, type RegisterRequestWritable, type User } from "@/client";
import { zRegisterBody } from "@/client/zod.gen";
import { Alert, Button, TextField } from "@/components/ui";
import { describeError } from "@/lib/errors";
import { contractResolver, withoutEmpty } from "@/lib/forms";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { applyProblemToForm, problemOf, statusOf } from "@/lib/problem";

type Values = Required<RegisterRequestWritable>;
const FIELDS = ["username", "email", "password", "organization_name"] as const;

export function RegisterForm({ onRegistered }: { onRegistered: (user: User, body: RegisterRequestWritable) => void | Promise<void> }) {
  const { t } = useI18n();
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting },
  } = useForm<Values, unknown, RegisterRequestWritable>({
    resolver: contractResolver(zRegisterBody, (values) => withoutEmpty(values)),
    defaultValues: { username: "", email: "", password: "", organization_name: "" },
  });

  const onSubmit = handleSubmit(async (body) => {
    setFormError(null);
    try {
      const { data } = await registerAccount({ body, throwOnError: true });
      await onRegistered(data, body);
    } catch (error) {
      const problem = problemOf(error);
      const rest = problem && statusOf(error) !== 429 ? applyProblemToForm(problem, FIELDS, setError, t) : [describeError(error, t)];
      if (rest.length) setFormError(rest.join(" "));
    }
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4">
      {formError && <Alert>{formError}</Alert>}
      <TextField
        label={t("auth.register.username")}
        hint={t("auth.register.usernameHint")}
        autoComplete="username"
        autoFocus
        error={errors.username?.message}
        {...register("username")}
      />
      <TextField label={t("auth.register.email")} type="email" autoComplete="email" error={errors.email?.message} {...register("email")} />
      <TextField
        label={t("auth.register.password")}
        hint={t("auth.register.passwordHint")}
        type="password"
        autoComplete="new-password"
        error={errors.password?.message}
        {...register("password")}
      />
      <TextField
        label={t("auth.register.organization")}
        hint={t("auth.register.organizationHint")}
        optional={t("common.optional")}
        autoComplete="organization"
        error={errors.organization_name?.message}
        {...register("organization_name")}
      />
      <Button type="submit" busy={isSubmitting} className="w-full">
        {isSubmitting ? t("auth.register.submitting") : t("auth.register.submit")}
      </Button>
    </form>
  );
}
