"use client";

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";

import type { TokenResponse, User } from "@/client";
import { endSession, getSessionUser, logout as endServerSession, onSessionChange, refresh, ServiceUnreachableError, startSession } from "@/lib/session";

/** "unreachable": the session could not be checked because the API does not answer (retrying). */
type Status = "checking" | "authenticated" | "anonymous" | "unreachable";

interface Auth {
  status: Status;
  user: User | null;
  /** True after the user ended the session here (logout, password change, deletion): whoever
   * ended it decides where to go next, so guards must not redirect on their own. */
  ended: boolean;
  /** When status is "unreachable": check again now instead of at the next scheduled retry. */
  retryNow: () => void;
  signIn: (tokens: TokenResponse) => void;
  signOut: () => Promise<void>;
  /** Forget the session locally (after a password change or account deletion). */
  forget: () => void;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [user, setUser] = useState<User | null>(getSessionUser());
  const [checked, setChecked] = useState(getSessionUser() !== null);
  const [ended, setEnded] = useState(false);

  useEffect(() => onSessionChange(setUser), []);

  // A failed check because the API is down is retried (sooner after "Retry now"); the session
  // cookie is kept meanwhile, so the user is not sent to the login page by an outage.
  const [unreachable, setUnreachable] = useState(false);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (checked) return;
    // A reload keeps the user logged in: the HttpOnly refresh cookie buys a new access token.
    let active = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    refresh().then(
      () => {
        if (!active) return;
        setUnreachable(false);
        setChecked(true);
      },
      (error: unknown) => {
        if (!active) return;
        if (!(error instanceof ServiceUnreachableError)) {
          setChecked(true);
          return;
        }
        setUnreachable(true);
        timer = setTimeout(() => setAttempt((n) => n + 1), Math.min(2_000 * 2 ** Math.min(attempt, 3), 15_000));
      },
    );
    return () => {
      active = false;
      clearTimeout(timer);
    };
  }, [checked, attempt]);

  const retryNow = useCallback(() => setAttempt((n) => n + 1), []);

  const signIn = useCallback(
    (tokens: TokenResponse) => {
      queryClient.clear();
      startSession(tokens);
      setChecked(true);
      setEnded(false);
    },
    [queryClient],
  );

  const forget = useCallback(() => {
    setEnded(true);
    endSession();
    queryClient.clear();
  }, [queryClient]);

  const signOut = useCallback(async () => {
    setEnded(true);
    try {
      await endServerSession();
    } finally {
      queryClient.clear();
    }
  }, [queryClient]);

  const value = useMemo<Auth>(
    () => ({
      status: !checked ? (unreachable ? "unreachable" : "checking") : user ? "authenticated" : "anonymous",
      user,
      ended,
      retryNow,
      signIn,
      signOut,
      forget,
    }),
    [checked, unreachable, user, ended, retryNow, signIn, signOut, forget],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth must be used inside <AuthProvider>");
  return value;
}
