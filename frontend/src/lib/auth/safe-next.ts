/** Where to go after logging in: only a path of this app, never another site. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/consumptions";
  if (next.startsWith("/login") || next.startsWith("/register")) return "/consumptions";
  return next;
}
