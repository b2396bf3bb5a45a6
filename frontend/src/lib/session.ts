import { AxiosError, AxiosHeaders, type InternalAxiosRequestConfig } from "axios";

import { client } from "@/client/client.gen";
import { logout as logoutCall, refreshSession, type TokenResponse, type User } from "@/client";

import { getAccessToken, setAccessToken } from "./session-token";

export { getAccessToken };

type Listener = (user: User | null) => void;
const listeners = new Set<Listener>();
let currentUser: User | null = null;

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function getSessionUser(): User | null {
  return currentUser;
}

export function startSession(tokens: TokenResponse): void {
  setAccessToken(tokens.access_token);
  setSessionUser(tokens.user);
}

export function setSessionUser(user: User | null): void {
  currentUser = user;
  for (const listener of listeners) listener(user);
}

export function endSession(): void {
  setAccessToken(null);
  setSessionUser(null);
}

let refreshing: Promise<TokenResponse | null> | null = null;

/** Name of the Web Lock every tab of this origin takes around a refresh. */
export const REFRESH_LOCK = "consumo-session-refresh";

/**
 * Runs `work` while holding the refresh lock shared by every tab of this origin, so tabs refresh
 * one after another: each then presents the cookie the previous one left. Browsers without Web
 * Locks run it straight away.
 */
async function acrossTabs<T>(work: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === "undefined" ? undefined : navigator.locks;
  return locks ? await locks.request(REFRESH_LOCK, work) : await work();
}

/** The API could not be reached (network failure, or the proxy's 5xx while it is down): nothing is known about the session. */
export class ServiceUnreachableError extends Error {
  constructor(readonly cause: unknown) {
    super("The service is unreachable");
  }
}

/** A failure that says nothing about the session: no answer, or a server error instead of one. */
function unreachable(error: unknown): boolean {
  if (!(error instanceof AxiosError)) return false;
  const status = error.response?.status;
  return status === undefined || status >= 500;
}

/**
 * Exchanges the HttpOnly refresh cookie for a new access token. The cookie rotates on every use
 * and presenting a spent one revokes the session, so two refreshes must never race: callers in
 * this tab share one request, and tabs take turns through a Web Lock (two tabs opened together
 * would otherwise both present the same cookie and log the user out of both).
 *
 * Resolves to null when the API refuses the cookie (signed out), and rejects with
 * ServiceUnreachableError when the API cannot answer: an outage must not end the session.
 */
export function refresh(): Promise<TokenResponse | null> {
  refreshing ??= acrossTabs(() => refreshSession({ throwOnError: true }))
    .then(({ data }) => {
      startSession(data);
      return data;
    })
    .catch((error: unknown) => {
      if (unreachable(error)) throw new ServiceUnreachableError(error);
      endSession();
      return null;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export async function logout(): Promise<void> {
  try {
    await logoutCall({ throwOnError: true });
  } finally {
    endSession();
  }
}

/** The session is over (its refresh failed): a full page load to the login page on purpose, so
 * nothing of the ended session survives in memory. */
function onExpired(): void {
  if (typeof window === "undefined") return;
  const next = window.location.pathname + window.location.search;
  // eslint-disable-next-line @next/next/no-location-assign-relative-destination
  window.location.assign(`/login?reason=expired&next=${encodeURIComponent(next)}`);
}

interface RetriableConfig extends InternalAxiosRequestConfig {
  _consumoRetried?: boolean;
}

function isAuthEndpoint(url: string | undefined): boolean {
  return !!url && /\/auth\/(login|register|refresh|logout)$/.test(url.split("?")[0] ?? "");
}

// One Axios instance for the whole app (the generated client's). On a 401 it refreshes once and
// retries the request with the new token; when the refresh fails the session is over.
client.instance.interceptors.response.use(undefined, async (error: unknown) => {
  if (!(error instanceof AxiosError) || error.response?.status !== 401 || !error.config) throw error;
  const config = error.config as RetriableConfig;
  if (config._consumoRetried || isAuthEndpoint(config.url)) throw error;
  const hadSession = getAccessToken() !== null || currentUser !== null;
  // An outage while refreshing fails this request as one (the session is kept for when it is back).
  const tokens = await refresh().catch((refreshError: unknown) => {
    throw refreshError instanceof ServiceUnreachableError ? refreshError.cause : refreshError;
  });
  if (!tokens) {
    if (hadSession) onExpired();
    throw error;
  }
  config._consumoRetried = true;
  const headers = AxiosHeaders.from(config.headers);
  headers.set("Authorization", `Bearer ${tokens.access_token}`);
  config.headers = headers;
  return client.instance.request(config);
});
