import { expect, test, type Browser } from "@playwright/test";

import { createViaUi, PASSWORD, registerViaUi, screenshot, uniqueUser } from "./helpers";

test("the Spanish UI shows Spanish labels and formats money and dates for Spain", async ({ browser }) => {
  const context = await browser.newContext({ locale: "es-ES" });
  const page = await context.newPage();
  const user = uniqueUser("sofia");
  // Created through the English-labelled helper in another context, then used in Spanish.
  const setup = await browser.newContext();
  const setupPage = await setup.newPage();
  await registerViaUi(setupPage, user);
  await createViaUi(setupPage, { kind: "Electricity", quantity: "1234.5", start: "2026-10-01", end: "2026-10-31", cost: "1042.15", notes: "Factura" });
  await setup.close();

  await page.goto("/login");
  await expect(page.getByRole("heading", { name: "Iniciar sesión" })).toBeVisible();
  await page.getByLabel("Usuario o correo electrónico").fill(user.username);
  await page.getByLabel("Contraseña").fill(PASSWORD);
  await page.getByRole("button", { name: "Entrar" }).click();
  await expect(page.getByRole("heading", { name: "Consumos" })).toBeVisible();
  await expect(page.getByLabel("Buscar en las notas")).toBeVisible();
  const row = page.getByRole("row", { name: /Factura/ });
  await expect(row).toContainText("Electricidad");
  await expect(row).toContainText("1234,5 kWh");
  await expect(row).toContainText("1042,15 €");
  await expect(row).toContainText(/1\s?–\s?31 oct 2026/);

  // The switcher changes the language at once and remembers it.
  await page.getByLabel("Idioma").selectOption("en");
  await expect(page.getByRole("heading", { name: "Consumptions" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { name: "Consumptions" })).toBeVisible();
  await page.getByLabel("Language").selectOption("es");
  await expect(page.getByRole("heading", { name: "Consumos" })).toBeVisible();
  await context.close();
});

async function shoot(browser: Browser, locale: "en-GB" | "es-ES", colorScheme: "light" | "dark", username: string) {
  const lang = locale.slice(0, 2);
  const context = await browser.newContext({ locale, colorScheme });
  const page = await context.newPage();
  const tag = `${lang}-${colorScheme}`;
  await page.goto("/login");
  await expect(page.locator("form")).toBeVisible();
  await screenshot(page, `${tag}-login`);
  await page.goto("/register");
  await expect(page.locator("form")).toBeVisible();
  await screenshot(page, `${tag}-register`);
  await page.goto("/login");
  await page.locator("input[autocomplete=username]").fill(username);
  await page.locator("input[type=password]").fill(PASSWORD);
  await page.locator("form button[type=submit]").click();
  await expect(page).toHaveURL(/\/consumptions$/);
  await expect(page.getByRole("table")).toBeVisible();
  await screenshot(page, `${tag}-list`);
  await page.goto("/consumptions/new");
  await expect(page.locator("form select").first()).toBeVisible();
  await page.locator("form button[type=submit]").click();
  await screenshot(page, `${tag}-new-invalid`);
  await page.goto("/consumptions");
  await page.getByRole("table").getByRole("link").first().click();
  await expect(page.locator("form input").first()).not.toHaveValue("");
  await screenshot(page, `${tag}-edit`);
  await page.goto("/profile");
  await expect(page.locator("form").first()).toBeVisible();
  await screenshot(page, `${tag}-profile`);
  await page.goto("/dashboard");
  await screenshot(page, `${tag}-dashboard`);
  await page.goto("/no-such-page");
  await expect(page.getByText("404")).toBeVisible();
  await screenshot(page, `${tag}-404`);
  await context.close();
}

test("screenshots of the main pages in both languages and both themes", async ({ browser }) => {
  test.setTimeout(240_000);
  const context = await browser.newContext();
  const page = await context.newPage();
  const user = uniqueUser("shots");
  await registerViaUi(page, user);
  const records = [
    { kind: "Electricity", quantity: "182.5", start: "2026-10-01", end: "2026-10-31", cost: "42.15", notes: "October bill" },
    { kind: "Water", quantity: "14.2", start: "2026-09-01", end: "2026-10-31", cost: "31.80", notes: "Bimonthly water" },
    { kind: "Mobile data", quantity: "8192", start: "2026-10-01", end: "2026-10-31", cost: "15", notes: "Phone line" },
    { kind: "Gas", quantity: "51.333", start: "2026-09-15", end: "2026-10-14" },
  ];
  for (const record of records) await createViaUi(page, record);
  await context.close();

  for (const locale of ["en-GB", "es-ES"] as const) {
    for (const scheme of ["light", "dark"] as const) {
      await shoot(browser, locale, scheme, user.username);
    }
  }
});
