// The access token lives in memory only (never localStorage or a readable cookie): a reload
// gets a new one from the HttpOnly refresh cookie.
let accessToken: string | null = null;

export function getAccessToken(): string | null {
  return accessToken;
}

export function setAccessToken(token: string | null): void {
  accessToken = token;
}
