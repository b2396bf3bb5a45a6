import { test, type Page } from "@playwright/test";

import { BASE_URL } from "../playwright.config";

import { loginViaUi } from "./helpers";
import { pages, seed } from "./pages";

// Every page at a phone's 390 px and a desktop's 1280 px, light theme in English, plus the
// dashboard and the records in the dark theme and in Spanish: JPEGs (quality 60) in
// docs/screenshots/, linked from docs/web-app.md. Run by `make screenshots`, not by `make test`.

const OUT = "../docs/screenshots";
const WIDTHS = [390, 1280] as const;

async function capture(page: Page, name: string) {
  // Let toasts and transitions settle so the picture shows the page itself.
  await page.waitForTimeout(400);
  await page.screenshot({ path: `${OUT}/${name}.jpg`, type: "jpeg", quality: 60, fullPage: true, animations: "disabled" });
}

test("screenshots of every page", async ({ browser, request }) => {
  test.setTimeout(600_000);
  const seeded = await seed(request);
  for (const variant of [
    { colorScheme: "light", locale: "en-GB", suffix: "", only: null },
    { colorScheme: "dark", locale: "en-GB", suffix: "-dark", only: ["dashboard", "records"] },
    { colorScheme: "light", locale: "es-ES", suffix: "-es", only: ["dashboard", "records"] },
  ] as const) {
    for (const width of WIDTHS) {
      const viewport = { width, height: width === 390 ? 844 : 860 };
      const context = await browser.newContext({ colorScheme: variant.colorScheme, viewport });
      const anonymous = await browser.newContext({ colorScheme: variant.colorScheme, viewport });
      const page = await context.newPage();
      const signedOut = await anonymous.newPage();
      await loginViaUi(page, seeded.username);
      if (variant.locale === "es-ES") {
        // Signed in with the English labels, then Spanish as the language switcher keeps it.
        await context.addCookies([{ name: "consumo_locale", value: "es", url: BASE_URL }]);
      }
      for (const check of pages(seeded)) {
        if (variant.only && !(variant.only as readonly string[]).includes(check.name)) continue;
        const tab = check.app ? page : signedOut;
        await tab.goto(check.path);
        if (variant.locale === "en-GB") await check.ready(tab);
        else await tab.waitForLoadState("networkidle");
        await capture(tab, `${check.name}-${width}${variant.suffix}`);
      }
      await context.close();
      await anonymous.close();
    }
  }
});
