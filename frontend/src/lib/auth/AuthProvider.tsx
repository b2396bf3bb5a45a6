"use client";

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";

import type { TokenResponse, User } from "@/client";
import { endSession, getSessionUser, logout as endServerSession, onSessionChange, refresh, startSession } from "@/lib/session";

type Status = "checking" | "authenticated" | "anonymous";

interface Auth {
  status: Status;
  user: User | null;
  /** True after the user ended the session here (logout, password change, deletion): whoever
   * ended it decides where to go next, so guards must not redirect on their own. */
  ended: boolean;
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

  useEffect(() => {
    if (checked) return;
    // A reload keeps the user logged in: the HttpOnly refresh cookie buys a new access token.
    let active = true;
    void refresh().finally(() => {
      if (active) setChecked(true);
    });
    return () => {
      active = false;
    };
  }, [checked]);

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
      status: !checked ? "checking" : user ? "authenticated" : "anonymous",
      user,
      ended,
      signIn,
      signOut,
      forget,
    }),
    [checked, user, ended, signIn, signOut, forget],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth must be used inside <AuthProvider>");
  return value;
}
