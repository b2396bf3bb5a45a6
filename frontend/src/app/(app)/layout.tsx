"use client";

import { usePathname, useRouter } from "next/navigation";
import { useEffect, type ReactNode } from "react";

import { AppShell } from "@/components/AppShell";
import { ServiceUnreachable } from "@/components/ServiceUnreachable";
import { Loading } from "@/components/ui";
import { useAuth } from "@/lib/auth/AuthProvider";
import { useI18n } from "@/lib/i18n/I18nProvider";

/** Every page in this group needs a session: nothing of it renders until one is confirmed. */
export default function ProtectedLayout({ children }: { children: ReactNode }) {
  const { status, ended } = useAuth();
  const { t } = useI18n();
  const router = useRouter();
  const pathname = usePathname();

  useEffect(() => {
    if (status === "anonymous" && !ended) {
      const next = pathname + window.location.search;
      router.replace(`/login?next=${encodeURIComponent(next)}`);
    }
  }, [status, ended, router, pathname]);

  if (status === "unreachable") {
    return (
      <main id="main" className="grid min-h-screen place-items-center px-4">
        <ServiceUnreachable />
      </main>
    );
  }
  if (status !== "authenticated") {
    return (
      <div className="grid min-h-screen place-items-center">
        <Loading label={t("auth.checking")} />
      </div>
    );
  }
  return <AppShell>{children}</AppShell>;
}
