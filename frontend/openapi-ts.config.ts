import { readFileSync } from "node:fs";

import { defineConfig } from "@hey-api/openapi-ts";
import { parse } from "yaml";

// Everything the contract states comes from here: `make frontend-generate` (npm run generate)
// rewrites src/client, and `make frontend-check` fails when the committed copy is stale.
const SPEC = "../openapi/openapi.yaml";
const spec: unknown = parse(readFileSync(new URL(SPEC, import.meta.url), "utf8"));

/** The raw spec node at a `~ref` path such as ["components", "schemas", "Quantity"]. */
function specNode(path: ReadonlyArray<string | number>): Record<string, unknown> | undefined {
  let node: unknown = spec;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node !== null && typeof node === "object" ? (node as Record<string, unknown>) : undefined;
}

export default defineConfig({
  input: SPEC,
  output: {
    path: "src/client",
    postProcess: [],
  },
  plugins: [
    {
      name: "@hey-api/client-axios",
      // Sets the base URL and credentials of the one Axios instance (src/lib/hey-api.ts).
      runtimeConfigPath: "./src/lib/hey-api",
    },
    "@hey-api/typescript",
    {
      name: "zod",
      // Timestamps from the API carry an offset (RFC 3339 with Z or +hh:mm).
      dates: { offset: true },
      "~resolvers": {
        // openapi-ts 0.99 drops `multipleOf` from its intermediate schema, so a quantity with
        // four decimals would pass the generated schema while the API rejects it. Re-attach it
        // from the spec itself (never restated by hand).
        number(ctx) {
          // `format: int64` marks integers beyond 2^31 (costs, balances). openapi-ts would make
          // them `z.coerce.bigint()`: BigInts that JSON.stringify cannot send and the generated
          // types call `number`. They are JSON numbers, so a plain integer (safe range) is right.
          if (ctx.schema.type === "integer" && ctx.schema.format === "int64") {
            const safe = (value: number) => Math.max(Number.MIN_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, value));
            let chain = ctx.$(ctx.symbols.z).attr("int").call();
            if (typeof ctx.schema.minimum === "number") chain = chain.attr("gte").call(ctx.$.literal(safe(ctx.schema.minimum)));
            if (typeof ctx.schema.maximum === "number") chain = chain.attr("lte").call(ctx.$.literal(safe(ctx.schema.maximum)));
            ctx.chain.current = chain;
            return chain;
          }
          const ref = (ctx.path as unknown as { "~ref"?: Array<string | number> })["~ref"];
          const multipleOf = ref ? specNode(ref)?.multipleOf : undefined;
          if (typeof multipleOf !== "number") return undefined;
          for (const build of [ctx.nodes.base, ctx.nodes.min, ctx.nodes.max]) {
            const node = build(ctx);
            if (node) ctx.chain.current = node;
          }
          return ctx.chain.current.attr("multipleOf").call(ctx.$.literal(multipleOf));
        },
      },
    },
    {
      name: "@hey-api/sdk",
      // Request bodies and parameters are checked against the generated Zod schemas before
      // anything is sent; a response that breaks the contract is an error, not silent drift.
      validator: { request: "zod", response: "zod" },
    },
    // Query options, query keys and mutation options for every operation: pages read and
    // change data through these (useQuery / useMutation), and invalidate by the generated keys.
    "@tanstack/react-query",
  ],
});
