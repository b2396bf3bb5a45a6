import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";

import { registerViaUi, uniqueUser } from "./helpers";

const SAMPLE = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "docs", "import-sample.csv"));

test("a CSV file is checked, recorded with progress, exported and undone", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await registerViaUi(page, uniqueUser("importer"));
  await page.goto("/imports");
  await expect(page.getByRole("heading", { level: 1, name: "Import records" })).toBeVisible();

  // Choosing the file shows its first rows and the mapping guessed from the header.
  await page.getByLabel("Choose a CSV file").setInputFiles({ name: "bills.csv", mimeType: "text/csv", buffer: SAMPLE });
  await expect(page.getByRole("table", { name: "First rows of the file" })).toContainText("January bill");
  await expect(page.getByLabel("Quantity", { exact: true })).toHaveValue("quantity");
  await expect(page.getByLabel("Period end")).toHaveValue("period_end");

  // The dry run: counts, nothing recorded yet.
  await page.getByRole("button", { name: "Check the file" }).click();
  await expect(page.getByRole("heading", { name: "3. Check and record" })).toBeVisible();
  await expect(page.getByText("Ready to record").locator("..")).toContainText("7");
  const violations = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
  expect(violations.violations.filter((v) => v.impact === "serious" || v.impact === "critical")).toEqual([]);

  // The commit: the progress bar reaches 100 and the records are there.
  await page.getByRole("button", { name: "Record 7 rows" }).click();
  await expect(page.getByText("7 records were added.")).toBeVisible();
  await expect(page.getByRole("progressbar", { name: "Recording progress" })).toHaveAttribute("aria-valuenow", "100");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  // The list exports exactly what its filters show.
  await page.goto("/consumptions?kind=water");
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export CSV" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^consumo-.*\.csv$/);
  const text = readFileSync((await file.path()) ?? "", "utf-8");
  const lines = text.trim().split(/\r?\n/);
  expect(lines[0]).toMatch(/^id,kind,quantity,unit/);
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain("water");

  // The history undoes the import.
  await page.goto("/imports");
  await expect(page.getByRole("listitem").filter({ hasText: "bills.csv" })).toContainText("recorded · 7 recorded");
  await page.getByRole("button", { name: "Undo the import of bills.csv" }).click();
  // Undoing deletes records: it asks first, naming how many.
  const confirm = page.getByRole("dialog", { name: "Undo this import?" });
  await expect(confirm).toContainText("The 7 records it added from bills.csv will be deleted");
  await confirm.getByRole("button", { name: "Undo" }).click();
  await expect(page.getByText("The import was undone.")).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: "bills.csv" })).toContainText("undone · 7 removed");
  await page.goto("/consumptions");
  await expect(page.getByText("No records yet", { exact: false })).toBeVisible();
});

test("a file too large to check at once is checked by the worker, then recorded", async ({ page }) => {
  await registerViaUi(page, uniqueUser("bigfile"));
  await page.goto("/imports");
  // 400 daily readings (about 16 KB): over the e2e API's IMPORT_INLINE_BYTES, so stored and checked by a job.
  const day = (n: number) => new Date(Date.UTC(2024, 0, 1 + n)).toISOString().slice(0, 10);
  const rows = Array.from({ length: 400 }, (_, n) => `electricity,${(n % 50) + 1}.5,${day(n)},${day(n)},${n % 9}.25,EUR,reading number ${n}`);
  const body = Buffer.from(["kind,quantity,period_start,period_end,cost,currency,notes", ...rows].join("\n") + "\n");
  await page.getByLabel("Choose a CSV file").setInputFiles({ name: "readings.csv", mimeType: "text/csv", buffer: body });
  await expect(page.getByRole("table", { name: "First rows of the file" })).toContainText("reading number 0");

  const uploaded = page.waitForResponse((response) => response.url().includes("/api/v1/imports") && response.request().method() === "POST");
  await page.getByRole("button", { name: "Check the file" }).click();
  expect(await (await uploaded).json()).toMatchObject({ state: "validating", total_rows: 0 });
  // The page polls the import until the worker has read it: then the counts, and the button to record.
  await expect(page.getByText("Ready to record").locator("..")).toContainText("400", { timeout: 20_000 });
  await page.getByRole("button", { name: "Record 400 rows" }).click();
  await expect(page.getByText("400 records were added.")).toBeVisible();
  await page.goto("/imports");
  await expect(page.getByRole("button", { name: "Undo the import of readings.csv" })).toBeVisible();
});

test("a file that is not UTF-8 is refused in the browser, never uploaded with its letters replaced; accents in UTF-8 are kept", async ({ page }) => {
  await registerViaUi(page, uniqueUser("latin"));
  await page.goto("/imports");
  const posts: string[] = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && request.url().includes("/api/v1/imports")) posts.push(request.url());
  });
  const header = "tipo;cantidad;desde;hasta;notas\n";
  const notUtf8 = "The file is not UTF-8 text; save it as CSV UTF-8.";

  // Latin-1 in the first rows: said as soon as the file is chosen.
  const latin1Head = Buffer.from(`${header}agua;1,5;2026-01-01;2026-01-31;año\n`, "latin1");
  await page.getByLabel("Choose a CSV file").setInputFiles({ name: "latin1.csv", mimeType: "text/csv", buffer: latin1Head });
  await expect(page.getByRole("alert").filter({ hasText: notUtf8 })).toBeVisible();
  await expect(page.getByRole("table", { name: "First rows of the file" })).toHaveCount(0);

  // Latin-1 only past the first 64 KiB: the preview shows, and the check refuses it before sending.
  const clean = Array.from({ length: 2000 }, (_, n) => `agua;1,5;2026-01-01;2026-01-31;reading ${n} of a long file`).join("\n");
  const latin1Tail = Buffer.concat([Buffer.from(`${header}${clean}\n`), Buffer.from("agua;1,5;2026-02-01;2026-02-28;año\n", "latin1")]);
  await page.getByLabel("Choose a CSV file").setInputFiles({ name: "latin1-tail.csv", mimeType: "text/csv", buffer: latin1Tail });
  await expect(page.getByRole("table", { name: "First rows of the file" })).toContainText("reading 0 of a long file");
  await page.getByRole("button", { name: "Check the file" }).click();
  await expect(page.getByRole("alert").filter({ hasText: notUtf8 })).toBeVisible();
  expect(posts).toEqual([]);

  // The same letters in UTF-8 (with a byte-order mark) arrive as written.
  const utf8 = Buffer.from(`\uFEFF${header}agua;1,5;2026-01-01;2026-01-31;año y señal\n`, "utf8");
  await page.getByLabel("Choose a CSV file").setInputFiles({ name: "utf8.csv", mimeType: "text/csv", buffer: utf8 });
  await page.getByRole("button", { name: "Check the file" }).click();
  await page.getByRole("button", { name: "Record 1 row" }).click();
  await expect(page.getByText("1 record was added.")).toBeVisible();
  await page.goto("/consumptions");
  await expect(page.getByRole("main")).toContainText("año y señal");
});

test("every error of a file can be seen; a checked import is reviewed from the history; empty and binary files are told apart", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await registerViaUi(page, uniqueUser("pager"));
  await page.goto("/imports");
  const bad = Array.from({ length: 150 }, (_, n) => `water,-1,2025-01-01,2025-01-01,,,row ${n}`).join("\n");
  const body = Buffer.from(`kind,quantity,period_start,period_end,cost,currency,notes\n${bad}\nwater,2,2025-02-01,2025-02-01,,,fine\n`);
  await page.getByLabel("Choose a CSV file").setInputFiles({ name: "many-errors.csv", mimeType: "text/csv", buffer: body });
  await page.getByRole("button", { name: "Check the file" }).click();
  const errors = page.getByRole("region", { name: "Rows with errors" });
  await expect(errors.locator("tbody tr")).toHaveCount(100);
  // The column is named as the mapping names it, in the user's language (not the API's field name).
  await expect(errors.locator("tbody tr").first().locator("td").nth(1)).toHaveText("Quantity");
  await errors.getByRole("button", { name: "Show more" }).click();
  await expect(errors.locator("tbody tr")).toHaveCount(150);
  await expect(errors.getByRole("button", { name: "Show more" })).toHaveCount(0);

  // After a reload the checked import waits in the history, and can be recorded from there.
  await page.reload();
  await expect(page.getByRole("listitem").filter({ hasText: "many-errors.csv" })).toContainText("checked, not recorded · 1 valid row");
  await page.getByRole("button", { name: "Review the import of many-errors.csv" }).click();
  await expect(page.getByRole("heading", { name: "3. Check and record" })).toBeFocused();
  await page.getByRole("button", { name: "Record 1 row" }).click();
  await expect(page.getByText("1 record was added.")).toBeVisible();

  await page.getByLabel("Choose a CSV file").setInputFiles({ name: "empty.csv", mimeType: "text/csv", buffer: Buffer.alloc(0) });
  await expect(page.getByRole("alert").filter({ hasText: "The file is empty." })).toBeVisible();
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
  await page.getByLabel("Choose a CSV file").setInputFiles({ name: "photo.csv", mimeType: "text/csv", buffer: png });
  await expect(page.getByRole("alert").filter({ hasText: "This is not a CSV file" })).toBeVisible();
});
