"use client";

import { useState } from "react";
import { useForm } from "react-hook-form";

import { changePassword, updateCurrentUser, type PasswordChangeWritable, type User, type UserUpdate } from "@/client";
import { zChangePasswordBody, zUpdateCurrentUserBody } from "@/client/zod.gen";
import { Alert, Button, TextField } from "@/components/ui";
import { describeError } from "@/lib/errors";
import { contractResolver } from "@/lib/forms";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { applyProblemToForm, problemOf } from "@/lib/problem";

export function AccountForm({ user, onSaved }: { user: User; onSaved: (user: User) => void }) {
  const { t } = useI18n();
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting, isDirty },
  } = useForm<UserUpdate, unknown, UserUpdate>({
    resolver: contractResolver(zUpdateCurrentUserBody, (values) => ({ ...values })),
    values: { username: user.username, email: user.email },
  });

  const onSubmit = handleSubmit(async (body) => {
    setFormError(null);
    try {
      const { data } = await updateCurrentUser({ body, throwOnError: true });
      onSaved(data);
    } catch (error) {
      const problem = problemOf(error);
      const rest = problem ? applyProblemToForm(problem, ["username", "email"], setError, t) : [describeError(error, t)];
      if (rest.length) setFormError(rest.join(" "));
    }
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4">
      {formError && <Alert>{formError}</Alert>}
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          label={t("profile.username")}
          hint={t("auth.register.usernameHint")}
          autoComplete="username"
          error={errors.username?.message}
          {...register("username")}
        />
        <TextField label={t("profile.email")} type="email" autoComplete="email" error={errors.email?.message} {...register("email")} />
      </div>
      <div className="flex justify-end">
        <Button type="submit" busy={isSubmitting} disabled={!isDirty}>
          {isSubmitting ? t("common.saving") : t("common.save")}
        </Button>
      </div>
    </form>
  );
}

export function PasswordForm({ onChanged }: { onChanged: () => void }) {
  const { t } = useI18n();
  const [formError, setFormError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting },
  } = useForm<PasswordChangeWritable, unknown, PasswordChangeWritable>({
    resolver: contractResolver(zChangePasswordBody, (values) => ({ ...values })),
    defaultValues: { current_password: "", new_password: "" },
  });

  const onSubmit = handleSubmit(async (body) => {
    setFormError(null);
    try {
      await changePassword({ body, throwOnError: true });
      onChanged();
    } catch (error) {
      const problem = problemOf(error);
      const rest = problem ? applyProblemToForm(problem, ["current_password", "new_password"], setError, t) : [describeError(error, t)];
      if (rest.length) setFormError(rest.join(" "));
    }
  });

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4">
      {formError && <Alert>{formError}</Alert>}
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          label={t("profile.currentPassword")}
          type="password"
          autoComplete="current-password"
          error={errors.current_password?.message}
          {...register("current_password")}
        />
        <TextField
          label={t("profile.newPassword")}
          type="password"
          autoComplete="new-password"
          hint={t("auth.register.passwordHint")}
          error={errors.new_password?.message}
          {...register("new_password")}
        />
      </div>
      <div className="flex justify-end">
        <Button type="submit" busy={isSubmitting}>
          {t("profile.changePassword")}
        </Button>
      </div>
    </form>
  );
}
