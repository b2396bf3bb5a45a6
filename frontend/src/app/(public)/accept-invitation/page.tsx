"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { toast } from "sonner";

import { acceptInvitation, previewInvitation } from "@/client";
import { Alert, Button, Card, Loading, TextField } from "@/components/ui";
import { useAuth } from "@/lib/auth/AuthProvider";
import { describeError } from "@/lib/errors";
import { useI18n } from "@/lib/i18n/I18nProvider";
import { useTitle } from "@/lib/use-title";

function tokenFromHash(): string {
  if (typeof window === "undefined") return "";
  return new URLSearchParams(window.location.hash.slice(1)).get("token") ?? "";
}

export default function AcceptInvitationPage() {
  const { t } = useI18n();
  const { signIn } = useAuth();
  const router = useRouter();
  useTitle(t("accept.title"));
  const [token, setToken] = useState<string | null>(null);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    // The token travels after `#`, so it never reaches a server; read once the page runs.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setToken(tokenFromHash());
  }, []);

  // preview_invitation is a POST (the token travels in the body, never in a URL), so the generator
  // gives it mutation options; it only reads, and is cached as a query under its own key.
  const preview = useQuery({
    queryKey: ["invitation-preview", token],
    enabled: Boolean(token),
    retry: false,
    queryFn: async () => (await previewInvitation({ body: { token: token ?? "" }, throwOnError: true })).data,
  });

  if (token === null) return <Loading label={t("common.loading")} />;
  if (!token) return <Alert>{t("accept.noToken")}</Alert>;
  if (preview.isPending) return <Loading label={t("common.loading")} />;
  if (preview.isError) return <Alert>{describeError(preview.error, t)}</Alert>;
  const invitation = preview.data;

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setSending(true);
    setError(null);
    try {
      const response = await acceptInvitation({ body: { token: token ?? "", username, password }, throwOnError: true });
      signIn(response.data);
      toast.success(t("accept.welcome", { tenant: invitation.tenant_name }));
      router.replace("/dashboard");
    } catch (failure) {
      setError(describeError(failure, t));
    } finally {
      setSending(false);
    }
  }

  return (
    <Card>
      <h1 className="text-2xl font-bold tracking-tight">{t("accept.title")}</h1>
      <p className="mb-6 mt-1 text-sm text-slate-600 dark:text-slate-400">
        {t("accept.subtitle", { tenant: invitation.tenant_name, role: t(`role.${invitation.role}`), email: invitation.email })}
      </p>
      <form onSubmit={(event) => void submit(event)} className="space-y-4">
        {error && <Alert>{error}</Alert>}
        <TextField
          label={t("accept.username")}
          required
          minLength={3}
          maxLength={32}
          pattern="[A-Za-z0-9_.\-]+"
          autoComplete="username"
          value={username}
          onChange={(event) => setUsername(event.target.value)}
        />
        <TextField
          label={t("accept.password")}
          type="password"
          required
          minLength={8}
          maxLength={128}
          autoComplete="new-password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <Button type="submit" busy={sending} className="w-full">
          {t("accept.submit")}
        </Button>
      </form>
    </Card>
  );
}
