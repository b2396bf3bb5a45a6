import { expect, test } from "@playwright/test";

import { registerViaUi, uniqueUser } from "./helpers";

// The refresh cookie rotates on every use and a spent one revokes the whole session. Tabs opened
// together each refresh on load; they must take turns (a Web Lock), or the second would present
// the cookie the first just spent and log the user out everywhere.
test("tabs opened at the same moment all stay logged in, and the session survives them", async ({ browser }) => {
  test.setTimeout(90_000);
  const context = await browser.newContext();
  const first = await context.newPage();
  const user = uniqueUser("tabs");
  await registerViaUi(first, user);

  // A slow network that makes refreshes overlap: each refresh request is held until a second one
  // is waiting too (then both go at once) or 3 s have passed. Tabs that take turns only ever
  // have one waiting, so they pay the 3 s each; tabs that race send the same cookie together.
  let waiting: Array<() => void> = [];
  await context.route("**/api/v1/auth/refresh", async (route) => {
    await new Promise<void>((release) => {
      waiting.push(release);
      if (waiting.length >= 2) {
        for (const go of waiting) go();
        waiting = [];
        return;
      }
      setTimeout(() => {
        waiting = waiting.filter((go) => go !== release);
        release();
      }, 3_000);
    });
    await route.continue();
  });

  const tabs = await Promise.all([context.newPage(), context.newPage(), context.newPage()]);
  await Promise.all([tabs[0].goto("/consumptions"), tabs[1].goto("/meters"), tabs[2].goto("/dashboard")]);
  // Each tab's own refresh succeeded: the app shows who is logged in (a refused one goes to /login).
  for (const tab of tabs) await expect(tab.getByText(user.username, { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(tabs[0].getByRole("heading", { name: "Consumptions", level: 1 })).toBeVisible();
  await expect(tabs[1].getByRole("heading", { name: "Meters and lines", level: 1 })).toBeVisible();
  await expect(tabs[2].getByRole("heading", { name: "Dashboard", level: 1 })).toBeVisible();

  // And the session was not revoked behind them: one more refresh, on reload, still gets in.
  await context.unroute("**/api/v1/auth/refresh");
  await first.reload();
  await expect(first.getByText(user.username, { exact: true })).toBeVisible();
  await expect(first).toHaveURL(/\/consumptions$/);
  await context.close();
});
