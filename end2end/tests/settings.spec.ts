import { expect, test, type Page } from "@playwright/test";
import { hydrated, signInAsAdmin } from "./helpers";
import { confirmAndApply, openImport, preview } from "./sync";
import { people, putTenant, setFaults, type SimUser } from "./tenant";

async function chooseOverwrite(page: Page, label: string) {
  await page.goto("/settings");
  await hydrated(page);
  await page.getByRole("radio", { name: label }).check();
  await page.getByRole("button", { name: "Save sync options" }).click();
  await expect(page.getByRole("status")).toContainText(/Sync options saved|already these/);
}

async function previewAndApply(page: Page) {
  await openImport(page);
  await preview(page);
}

test.beforeEach(async ({ page, request }) => {
  await setFaults(request, {});
  await signInAsAdmin(page);
});

test("the overwrite behavior saved in Settings decides the next preview", async ({ page, request }) => {
  // Its first sync deactivates everything earlier tests imported.
  test.setTimeout(120_000);
  const stamp = Date.now();
  const domain = `settings-${stamp}.example.com`;
  const users = people(30, domain, stamp);
  await putTenant(request, domain, users);

  await chooseOverwrite(page, "Add, update and deactivate users missing from Azure AD");
  await expect(page.getByRole("listitem").filter({ hasText: "Overwrite behavior:" }).first()).toContainText(
    "admin@example.com",
  );
  // A first sync with this tenant deactivates what earlier tests imported.
  await previewAndApply(page);
  await expect(page.getByText(/Options used: Add, update and deactivate users missing from Azure AD/)).toBeVisible();
  await confirmAndApply(page);

  // In Azure AD: one user removed, one disabled, one renamed.
  const changed: SimUser[] = users
    .filter((_, i) => i !== 4)
    .map((u) => (u.id === users[5].id ? { ...u, accountEnabled: false } : u))
    .map((u) => (u.id === users[6].id ? { ...u, displayName: "Grace Brewster Hopper" } : u));
  await putTenant(request, domain, changed);
  await previewAndApply(page);
  await expect(page.getByRole("tab", { name: /^Updated\s+1$/ })).toBeVisible();
  await page.getByRole("tab", { name: /^Deactivated\s+2$/ }).click();
  const panel = page.getByRole("tabpanel");
  await expect(panel.getByRole("row").filter({ hasText: users[4].displayName })).toContainText("No longer in Azure AD");
  await expect(panel.getByRole("row").filter({ hasText: users[5].displayName })).toContainText(
    "Account disabled in Azure AD",
  );
  await confirmAndApply(page);
  await page.goto(`/users?q=${users[4].mail}`);
  await expect(page.getByRole("row").filter({ hasText: users[4].displayName })).toContainText("Deactivated");

  // Back to the default: nobody is deactivated, and the preview says why.
  // Someone removed and someone disabled in Azure AD are listed under
  // Skipped with the reason, not deactivated.
  await chooseOverwrite(page, "Add new and update existing users");
  const disabled = changed[6];
  await putTenant(
    request,
    domain,
    changed.slice(1).map((u) => (u.id === disabled.id ? { ...u, accountEnabled: false } : u)),
  );
  await previewAndApply(page);
  await expect(page.getByRole("tab", { name: /^Deactivated/ })).toHaveCount(0);
  await expect(page.getByText(/Nobody is deactivated: the overwrite behavior is/)).toBeVisible();
  await page.getByRole("tab", { name: /^Skipped/ }).click();
  const skipped = page.getByRole("tabpanel");
  await expect(skipped.getByRole("row").filter({ hasText: users[0].displayName })).toContainText(
    "No longer in Azure AD; not deactivated, because the overwrite behavior does not deactivate",
  );
  await expect(skipped.getByRole("row").filter({ hasText: disabled.displayName })).toContainText(
    "Account disabled in Azure AD; not deactivated",
  );
  await page.getByRole("button", { name: "Discard preview" }).click();
  await expect(page.getByRole("heading", { name: "Preview" })).toBeHidden();
});

test("a threshold out of range is refused and nothing is saved", async ({ page }) => {
  await page.goto("/settings");
  await hydrated(page);
  await page.getByLabel("Largest share of linked users (%)").fill("250");
  await page.getByRole("button", { name: "Save sync options" }).click();
  await expect(page.getByRole("alert")).toContainText("between 0 and 100 percent");
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel("Largest share of linked users (%)")).toHaveValue("10");
});

test("groups searched in the directory limit the next preview to their members", async ({ page, request }) => {
  const stamp = Date.now();
  const domain = `scope-${stamp}.example.com`;
  const users = people(12, domain, stamp);
  const alpha = `Scope Alpha ${stamp}`;
  await putTenant(request, domain, users, [
    { id: `00000000-0000-4000-9000-${String(stamp).slice(-12)}`, displayName: alpha, members: users.slice(0, 5).map((u) => u.id) },
    { id: `00000000-0000-4000-a000-${String(stamp).slice(-12)}`, displayName: `Scope Beta ${stamp}`, members: users.slice(5).map((u) => u.id) },
  ]);

  await page.goto("/settings");
  await hydrated(page);
  await page.getByLabel("Search groups").fill(`alpha ${stamp}`);
  const matching = page.getByRole("group", { name: "Matching groups" });
  await expect(matching.getByRole("checkbox")).toHaveCount(1);
  await matching.getByRole("checkbox", { name: alpha }).check();
  await page.getByRole("button", { name: "Save sync options" }).click();
  await expect(page.getByRole("status")).toContainText("Sync options saved");
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("group", { name: "Chosen groups" }).getByRole("checkbox", { name: alpha })).toBeChecked();

  await previewAndApply(page);
  await expect(page.getByText(/only members of 1 chosen group\./)).toBeVisible();
  await expect(page.getByRole("tab", { name: /^Added\s+5$/ })).toBeVisible();
  await page.getByRole("button", { name: "Discard preview" }).click();
  await expect(page.getByRole("heading", { name: "Preview" })).toBeHidden();

  // Back to everyone, for whatever runs next.
  await page.goto("/settings");
  await hydrated(page);
  await page.getByRole("group", { name: "Chosen groups" }).getByRole("checkbox", { name: alpha }).uncheck();
  await page.getByRole("button", { name: "Save sync options" }).click();
  await expect(page.getByRole("status")).toContainText("Sync options saved");
});
