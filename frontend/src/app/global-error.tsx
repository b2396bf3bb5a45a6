"use client";

// Last resort when the root layout itself fails: no providers are available here.
export default function GlobalError({ reset }: { error: Error; reset: () => void }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: "system-ui, sans-serif", display: "grid", placeItems: "center", minHeight: "100vh" }}>
        <main role="alert" style={{ textAlign: "center" }}>
          <h1>Something went wrong · Algo ha fallado</h1>
          <button type="button" onClick={reset} style={{ marginTop: 16, padding: "8px 16px" }}>
            Try again · Reintentar
          </button>
        </main>
      </body>
    </html>
  );
}
