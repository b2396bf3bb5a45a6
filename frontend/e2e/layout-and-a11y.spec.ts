import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Browser, type Page } from "@playwright/test";

import { loginViaUi, PASSWORD, uniqueUser } from "./helpers";
import { h1, pages, seed, type Seeded } from "./pages";

// Every page of the app, at a phone's 390 px and a desktop's 1280 px, in both themes: nothing is
// wider than the screen, and axe-core finds no serious or critical accessibility violation.

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 860 };

async function documentWidth(page: Page): Promise<{ document: number; viewport: number }> {
  return page.evaluate(() => ({
    document: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    viewport: window.innerWidth,
  }));
}

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => `${node.target.join(" ")} — ${node.failureSummary ?? ""}`).join(" | ")}`,
    );
}

async function checkEveryPage(browser: Browser, seeded: Seeded, colorScheme: "light" | "dark") {
  // Signed out for the public pages (signed in, they send you on), signed in for the others.
  const anonymous = await (await browser.newContext({ colorScheme, viewport: PHONE })).newPage();
  const context = await browser.newContext({ colorScheme, viewport: PHONE });
  const page = await context.newPage();
  await loginViaUi(page, seeded.username);
  const problems: string[] = [];
  for (const viewport of [PHONE, DESKTOP]) {
    await page.setViewportSize(viewport);
    await anonymous.setViewportSize(viewport);
    for (const check of pages(seeded)) {
      const tab = check.app ? page : anonymous;
      await tab.goto(check.path);
      await check.ready(tab);
      await expect(tab.locator("html")).toHaveClass(colorScheme === "dark" ? /\bdark\b/ : /\blight\b/);
      const label = `${check.name} at ${viewport.width} px, ${colorScheme}`;
      const width = await documentWidth(tab);
      expect(width.document, `${label}: the page is wider than the screen`).toBeLessThanOrEqual(width.viewport);
      if (check.app && viewport === DESKTOP) {
        // The desktop header is one row: "Log out" does not wrap, the links and it share a line.
        const logout = await tab.getByRole("button", { name: "Log out" }).boundingBox();
        const links = await tab.getByRole("navigation", { name: "Main" }).boundingBox();
        expect(logout?.height ?? 0, `${label}: "Log out" wraps`).toBeLessThan(44);
        expect(
          Math.abs((logout?.y ?? 0) + (logout?.height ?? 0) / 2 - ((links?.y ?? 0) + (links?.height ?? 0) / 2)),
          `${label}: the header is not one row`,
        ).toBeLessThan(12);
      }
      if (viewport === PHONE) {
        await tab.screenshot({ path: `test-results/screenshots/390-${colorScheme}-${check.name}.png`, fullPage: true });
      }
      for (const violation of await seriousViolations(tab)) problems.push(`${label}: ${violation}`);
    }
  }
  await anonymous.context().close();
  // The phone menu, opened, fits the screen and passes too.
  await page.setViewportSize(PHONE);
  await page.goto("/consumptions");
  await h1("Consumptions")(page);
  await page.getByRole("button", { name: "Menu" }).click();
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Consumptions" })).toHaveAttribute("aria-current", "page");
  const width = await documentWidth(page);
  expect(width.document, "the open menu is wider than the screen").toBeLessThanOrEqual(width.viewport);
  for (const violation of await seriousViolations(page)) problems.push(`menu at 390 px, ${colorScheme}: ${violation}`);
  await page.screenshot({ path: `test-results/screenshots/390-${colorScheme}-menu.png` });
  await context.close();
  expect(problems, problems.join("\n")).toEqual([]);
}

test.describe("every page at 390 px and 1280 px", () => {
  let seeded: Seeded;
  test.beforeAll(async ({ request }) => {
    seeded = await seed(request);
  });

  for (const colorScheme of ["light", "dark"] as const) {
    test(`fits a phone's width and has no serious accessibility violation, ${colorScheme} theme`, async ({ browser }) => {
      test.setTimeout(240_000);
      await checkEveryPage(browser, seeded, colorScheme);
    });
  }
});

test("the phone menu opens, shows the page you are on, and closes when you follow a link", async ({ browser, request }) => {
  const seededUser = uniqueUser("menu");
  expect((await request.post("/api/v1/auth/register", { data: { ...seededUser, password: PASSWORD } })).status()).toBe(201);
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  await loginViaUi(page, seededUser.username);
  // No row of links is cut at the edge: they are behind the menu button.
  await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);
  const menu = page.getByRole("button", { name: "Menu" });
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  await menu.click();
  await expect(menu).toHaveAttribute("aria-expanded", "true");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Consumptions" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("button", { name: "Log out" })).toBeVisible();
  await nav.getByRole("link", { name: "Meters" }).click();
  await expect(page.getByRole("heading", { name: "Meters and lines", level: 1 })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  await context.close();
});
