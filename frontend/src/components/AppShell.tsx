"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useId, useState, type ReactNode } from "react";
import { toast } from "sonner";

import { useAuth } from "@/lib/auth/AuthProvider";
import { useI18n } from "@/lib/i18n/I18nProvider";
import type { MessageKey } from "@/lib/i18n/messages";

import { AlertsBell } from "./AlertsBell";
import { BoltIcon, CloseIcon, MenuIcon } from "./icons";
import { LanguageSwitcher, ThemeSwitcher } from "./Preferences";
import { Button } from "./ui";

type Role = "owner" | "admin" | "member" | "viewer";

// `roles`: shown only to these roles (the API refuses the others anyway). Activity and the
// organisation's settings and the webhooks open from the Team page, imports from the records
// list: the desktop header stays one row.
const NAV: Array<{ href: string; label: MessageKey; exact?: boolean; roles?: readonly Role[] }> = [
  { href: "/dashboard", label: "nav.dashboard" },
  { href: "/consumptions", label: "nav.consumptions", exact: true },
  { href: "/consumptions/new", label: "nav.new" },
  { href: "/meters", label: "nav.meters" },
  { href: "/team", label: "nav.team", roles: ["owner", "admin", "viewer"] },
  { href: "/profile", label: "nav.profile" },
];

function isActive(pathname: string, href: string, exact?: boolean): boolean {
  if (exact) return pathname === href || (/^\/consumptions\/(?!new)/.test(pathname) && href === "/consumptions");
  return pathname === href || pathname.startsWith(`${href}/`);
}

export function Logo() {
  return (
    <span className="flex items-center gap-2 text-lg font-bold tracking-tight">
      <span aria-hidden="true" className="grid size-8 place-items-center rounded-lg bg-emerald-600 text-white dark:bg-emerald-500 dark:text-slate-950">
        <BoltIcon className="size-5" />
      </span>
      Consumo
    </span>
  );
}

function NavLinks({ pathname, vertical = false }: { pathname: string; vertical?: boolean }) {
  const { t } = useI18n();
  const { user } = useAuth();
  const items = NAV.filter((item) => !item.roles || (user && item.roles.includes(user.role)));
  return (
    <ul className={vertical ? "flex flex-col gap-1" : "flex gap-1"}>
      {items.map((item) => {
        const active = isActive(pathname, item.href, item.exact);
        return (
          <li key={item.href}>
            <Link
              href={item.href}
              aria-current={active ? "page" : undefined}
              className={
                "block whitespace-nowrap rounded-md text-sm font-medium transition-colors focus-visible:outline-2 focus-visible:outline-emerald-600 " +
                (vertical ? "px-3 py-2.5 " : "px-2.5 py-1.5 ") +
                (active
                  ? "bg-emerald-50 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200"
                  : "text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white")
              }
            >
              {t(item.label)}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}

export function AppShell({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const { user, signOut } = useAuth();
  const pathname = usePathname();
  const router = useRouter();
  const [leaving, setLeaving] = useState(false);
  const menuId = useId();
  // The phone menu belongs to the page it was opened on: following a link closes it.
  const [menuOpenAt, setMenuOpenAt] = useState<string | null>(null);
  const menuOpen = menuOpenAt === pathname;
  const current = NAV.find((item) => isActive(pathname, item.href, item.exact));

  async function handleLogout() {
    setLeaving(true);
    try {
      await signOut();
    } catch {
      // The local session is gone either way; the server's ends when its tokens expire.
    }
    toast.success(t("auth.login.loggedOut"));
    router.replace("/login");
  }

  return (
    <div className="flex min-h-screen flex-col">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:text-sm focus:shadow dark:focus:bg-slate-900"
      >
        {t("nav.skip")}
      </a>
      <header className="sticky top-0 z-30 border-b border-slate-200 bg-white/90 backdrop-blur dark:border-slate-800 dark:bg-slate-950/90">
        <div className="mx-auto flex max-w-6xl items-center gap-x-3 px-4 py-3">
          <Link href="/consumptions" className="rounded focus-visible:outline-2 focus-visible:outline-emerald-600">
            <Logo />
          </Link>
          {/* Wide screens: the links in one row. Below `lg` they live in the menu. */}
          <nav aria-label={t("nav.main")} className="hidden xl:block">
            <NavLinks pathname={pathname} />
          </nav>
          <div className="ml-auto hidden items-center gap-2 xl:flex">
            <AlertsBell />
            <LanguageSwitcher compactIcon />
            <ThemeSwitcher compactIcon />
            {user && (
              <span className="hidden max-w-32 truncate text-sm text-slate-600 xl:inline dark:text-slate-400" title={user.email}>
                {user.username}
              </span>
            )}
            <Button variant="ghost" className="whitespace-nowrap" onClick={handleLogout} busy={leaving}>
              {t("nav.logout")}
            </Button>
          </div>
          <div className="ml-auto flex min-w-0 items-center gap-2 xl:hidden">
            <AlertsBell />
            {current && (
              <span className="truncate text-sm font-medium text-slate-700 dark:text-slate-200" aria-hidden="true">
                {t(current.label)}
              </span>
            )}
            <Button variant="secondary" aria-expanded={menuOpen} aria-controls={menuId} onClick={() => setMenuOpenAt(menuOpen ? null : pathname)}>
              {menuOpen ? <CloseIcon className="size-5" /> : <MenuIcon className="size-5" />}
              {t("nav.menu")}
            </Button>
          </div>
        </div>
        {menuOpen && (
          <div id={menuId} className="border-t border-slate-200 px-4 pb-4 pt-2 xl:hidden dark:border-slate-800">
            <nav aria-label={t("nav.main")}>
              <NavLinks pathname={pathname} vertical />
            </nav>
            <div className="mt-3 flex flex-wrap items-center gap-3 border-t border-slate-200 pt-3 dark:border-slate-800">
              <LanguageSwitcher />
              <ThemeSwitcher />
              {user && (
                <span className="text-sm text-slate-600 dark:text-slate-400" title={user.email}>
                  {user.username}
                </span>
              )}
              <Button variant="ghost" className="ml-auto" onClick={handleLogout} busy={leaving}>
                {t("nav.logout")}
              </Button>
            </div>
          </div>
        )}
      </header>
      <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-4 py-8">
        {children}
      </main>
    </div>
  );
}
