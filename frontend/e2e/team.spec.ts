import { expect, test, type Browser, type Page } from "@playwright/test";

import { createViaUi, PASSWORD, registerViaUi, screenshot, uniqueUser } from "./helpers";

// An owner invites a member and a viewer; each accepts in a browser of their own. The member
// sees only their own records, the viewer reads the tenant and cannot write, the owner sees the
// sign-ins and the member's record in Activity, and a deactivated member's open tab is sent to
// the login page on its next request.

async function invite(owner: Page, email: string, role: "Member" | "Viewer"): Promise<string> {
  await owner.getByLabel("E-mail").fill(email);
  await owner.getByLabel("Role", { exact: true }).selectOption({ label: role });
  await owner.getByRole("button", { name: "Create invitation" }).click();
  const link = owner.getByLabel(`Invitation link for ${email}`);
  await expect(link).toHaveValue(/accept-invitation#token=/);
  return link.inputValue();
}

async function acceptIn(browser: Browser, link: string, username: string, tenant: string, role: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(link.replace(/^https?:\/\/[^/]+/, ""));
  await expect(page.getByRole("heading", { name: "Join an organisation", level: 1 })).toBeVisible();
  await expect(page.getByText(`You were invited to ${tenant} as ${role}`)).toBeVisible();
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create my account" }).click();
  await expect(page).toHaveURL(/\/dashboard/);
  return page;
}

test("an owner builds a team, watches its activity and deactivates a member", async ({ browser }) => {
  test.setTimeout(180_000);
  const owner = await (await browser.newContext()).newPage();
  const ownerUser = uniqueUser("own");
  await registerViaUi(owner, ownerUser);
  await createViaUi(owner, { kind: "Electricity", quantity: "120", start: "2025-03-01", end: "2025-03-31", notes: "Owner bill" });

  await owner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" }).click();
  await expect(owner.getByRole("heading", { name: "Team", level: 1 })).toBeVisible();
  const memberUser = uniqueUser("mem");
  const viewerUser = uniqueUser("vie");
  const memberLink = await invite(owner, memberUser.email, "Member");
  const viewerLink = await invite(owner, viewerUser.email, "Viewer");
  await expect(owner.getByText(memberUser.email).first()).toBeVisible();
  await screenshot(owner, "team-owner-invited");

  const member = await acceptIn(browser, memberLink, memberUser.username, ownerUser.username, "Member");
  const viewer = await acceptIn(browser, viewerLink, viewerUser.username, ownerUser.username, "Viewer");

  // The member records something and sees only their own records.
  await member.goto("/consumptions");
  await createViaUi(member, { kind: "Water", quantity: "7", start: "2025-03-01", end: "2025-03-31", notes: "Member water" });
  await expect(member.getByText("Member water").first()).toBeVisible();
  await expect(member.getByText("Owner bill")).toHaveCount(0);
  await expect(member.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" })).toHaveCount(0);

  // The viewer reads the tenant's team and cannot write.
  await viewer.goto("/team");
  await expect(viewer.getByRole("heading", { name: "Team", level: 1 })).toBeVisible();
  await expect(viewer.getByText(memberUser.email).first()).toBeVisible();
  await expect(viewer.getByRole("button", { name: "Create invitation" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: /^Deactivate/ })).toHaveCount(0);
  await viewer.goto("/organisation");
  await expect(viewer.getByText("Only owners and admins change these settings.")).toBeVisible();

  // The owner sees both sign-ins and the member's record creation in Activity.
  await owner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" }).click();
  await owner.getByRole("link", { name: "Activity" }).click();
  await expect(owner.getByRole("heading", { name: "Activity", level: 1 })).toBeVisible();
  await owner.getByLabel("Object type").selectOption("consumption_records");
  const timeline = owner.getByRole("list", { name: "Activity" });
  await expect(timeline.getByRole("listitem").filter({ hasText: memberUser.username }).filter({ hasText: "create" })).toHaveCount(1);
  const created = timeline.getByRole("listitem").filter({ hasText: memberUser.username }).filter({ hasText: "create" });
  await created.getByText(/^Fields/).click(); // a creation's fields are folded
  await expect(created.getByText("Member water")).toBeVisible();
  await owner.getByLabel("Object type").selectOption("users");
  await owner.getByLabel("Action").selectOption("sign_in");
  const signIns = timeline.getByRole("listitem");
  await expect(signIns.filter({ hasText: memberUser.username })).toHaveCount(1);
  await expect(signIns.filter({ hasText: viewerUser.username })).toHaveCount(1);
  await screenshot(owner, "activity-owner");

  // The owner deactivates the member; the member's open tab goes to the login page on its next request.
  await owner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" }).click();
  await owner.getByRole("button", { name: `Deactivate ${memberUser.username}` }).click();
  await owner.getByRole("dialog").getByRole("button", { name: "Deactivate" }).click();
  await expect(owner.getByText(`${memberUser.username} was deactivated.`)).toBeVisible();
  await member.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Meters" }).click();
  await expect(member).toHaveURL(/\/login/);

  // The same page in Spanish.
  await owner.getByLabel("Language").selectOption("es");
  await expect(owner.getByRole("heading", { name: "Equipo", level: 1 })).toBeVisible();
  await expect(owner.getByText("Desactivado").first()).toBeVisible();
  await screenshot(owner, "team-owner-es");
});
