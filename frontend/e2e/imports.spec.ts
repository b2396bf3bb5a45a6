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
  await page.getByRole("button", { name: "Undo the import of bills.csv" }).click();
  await expect(page.getByText("The import was undone.")).toBeVisible();
  await page.goto("/consumptions");
  await expect(page.getByText("No records yet", { exact: false })).toBeVisible();
});
