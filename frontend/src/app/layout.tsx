import type { Metadata, Viewport } from "next";
import { cookies, headers } from "next/headers";
import type { ReactNode } from "react";

import { isLocale, LOCALE_COOKIE, localeFromAcceptLanguage } from "@/lib/i18n/locale";

import "./globals.css";
import { Providers } from "./providers";

// No `title` here: Next streams metadata in after hydration, which would put its <title> above
// the per-page one that useTitle() writes (the UI language is only known at runtime).
export const metadata: Metadata = {
  description: "Record and review your electricity, water, gas and mobile consumption.",
};

export const viewport: Viewport = {
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#ffffff" },
    { media: "(prefers-color-scheme: dark)", color: "#0b1120" },
  ],
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // The language the user chose (cookie), else the browser's (Accept-Language): rendered right on
  // the server, so there is no flash of the wrong language.
  const chosen = (await cookies()).get(LOCALE_COOKIE)?.value;
  const locale = isLocale(chosen) ? chosen : localeFromAcceptLanguage((await headers()).get("accept-language"));
  return (
    <html lang={locale} suppressHydrationWarning>
      <head>
        <title>Consumo</title>
      </head>
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
        <Providers initialLocale={locale}>{children}</Providers>
      </body>
    </html>
  );
}
