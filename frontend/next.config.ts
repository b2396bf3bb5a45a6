import type { NextConfig } from "next";

// The browser only ever talks to its own origin; Next.js forwards /api/v1/* to the API, so there
// is no CORS and the refresh cookie stays HttpOnly; SameSite=Strict on the app's own site.
// CONSUMO_API_URL is read when the app is built (`next build`).
const apiUrl = (process.env.CONSUMO_API_URL ?? "http://127.0.0.1:8000").replace(/\/+$/, "");

const nextConfig: NextConfig = {
  // Rewrites are fixed at build time, so the end-to-end run builds its own copy (pointing at its
  // throwaway API) without touching the one `make run` serves.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  reactStrictMode: true,
  poweredByHeader: false,
  experimental: {
    // The rewrite proxy keeps at most this much of a request body (10 MB by default, cutting
    // larger CSV uploads short): the API takes imports up to 50 MiB.
    proxyClientMaxBodySize: 51 * 1024 * 1024,
  },
  async rewrites() {
    return [{ source: "/api/v1/:path*", destination: `${apiUrl}/api/v1/:path*` }];
  },
};

export default nextConfig;
