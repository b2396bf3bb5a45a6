// openapi-ts 0.99 writes the spec's `\u0000` (in patterns such as '^[^\u0000]*$') as a raw NUL
// byte inside regex literals. That is valid JavaScript but makes git and editors treat the file as
// binary, so the generated files get the escape back. Same regex, printable source.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../src/client/", import.meta.url).pathname;
for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, "utf8");
  if (text.includes("\u0000")) writeFileSync(file, text.replaceAll("\u0000", "\\u0000"));
}
