import type { CreateClientConfig } from "../client/client.gen";

import { getAccessToken } from "./session-token";

// Runtime configuration of the generated client (wired in by openapi-ts.config.ts): same-origin
// base URL (Next.js rewrites /api/v1 to the API) and the in-memory access token as the bearer.
export const createClientConfig: CreateClientConfig = (config) => ({
  ...config,
  baseURL: "/api/v1",
  withCredentials: true,
  auth: () => getAccessToken() ?? undefined,
});
