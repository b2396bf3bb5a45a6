import { expect, test } from "@playwright/test";

import { loginViaUi, PASSWORD, registerViaUi, uniqueUser } from "./helpers";

test("profile: rename, change the password (which ends the session) and delete the account", async ({ page }) => {
  const user = uniqueUser("pia");
  const renamed = `${user.username}x`.slice(0, 32);
  await registerViaUi(page, user);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Profile" }).click();
  await expect(page.getByRole("heading", { name: "Profile", level: 1 })).toBeVisible();

  // The server's rule (a taken username) and the schema's rule show on the field.
  await page.getByLabel("Username", { exact: true }).fill("a b");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByLabel("Username", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await page.getByLabel("Username", { exact: true }).fill(renamed);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Profile saved.")).toBeVisible();

  const newPassword = `${PASSWORD} 2`;
  await page.getByLabel("Current password").fill("not my password");
  await page.getByLabel("New password").fill(newPassword);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByLabel("Current password")).toHaveAccessibleDescription("The current password is incorrect.");
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page).toHaveURL(/\/login\?reason=password-changed$/);
  await expect(page.getByText("Your password was changed. Log in with the new one.")).toBeVisible();

  await loginViaUi(page, renamed, newPassword);
  await page.goto("/profile");
  await page.getByRole("button", { name: "Delete my account" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete your account?" });
  const confirm = dialog.getByRole("button", { name: "Delete my account" });
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel("Your username").fill(renamed);
  await confirm.click();
  await expect(page).toHaveURL(/\/login\?reason=account-deleted$/);

  // The account is really gone.
  await page.getByLabel("Username or email").fill(renamed);
  await page.getByLabel("Password").fill(newPassword);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Wrong username or password." })).toBeVisible();
});
