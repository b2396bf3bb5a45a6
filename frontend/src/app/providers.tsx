"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { ThemeProvider, useTheme } from "next-themes";
import { useState, type ReactNode } from "react";
import { Toaster } from "sonner";

import { AuthProvider } from "@/lib/auth/AuthProvider";
import { I18nProvider } from "@/lib/i18n/I18nProvider";
import type { Locale } from "@/lib/i18n/messages";
import { statusOf } from "@/lib/problem";

// Top right, below the sticky header: a toast never covers the header's controls (menu,
// language, theme, log out), nor a form's submit button at the bottom of the page.
function ThemedToaster() {
  const { resolvedTheme } = useTheme();
  return (
    <Toaster
      richColors
      closeButton
      position="top-right"
      offset={{ top: 80, right: 16 }}
      mobileOffset={{ top: 72 }}
      theme={resolvedTheme === "dark" ? "dark" : "light"}
    />
  );
}

export function Providers({ initialLocale, children }: { initialLocale: Locale; children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            staleTime: 15_000,
            // A 4xx will not get better by asking again; network trouble and 5xx might.
            retry: (count, error) => {
              const status = statusOf(error);
              return (status === undefined || status >= 500) && count < 2;
            },
            refetchOnWindowFocus: false,
          },
        },
      }),
  );
  return (
    <ThemeProvider attribute="class" defaultTheme="system" enableSystem disableTransitionOnChange>
      <QueryClientProvider client={queryClient}>
        <I18nProvider initialLocale={initialLocale}>
          <AuthProvider>{children}</AuthProvider>
          <ThemedToaster />
        </I18nProvider>
      </QueryClientProvider>
    </ThemeProvider>
  );
}
