import { expect, test, type Page } from "@playwright/test";
import { hydrated, signInAsAdmin } from "./helpers";
import { confirm, confirmAndApply, openImport, preview } from "./sync";
import { changeUser, generateTenant, people, putTenant, setFaults } from "./tenant";

// One server for the whole suite: each test writes its own tenant, under its
// own domain, and the platform keeps what earlier tests imported.
test.describe.configure({ mode: "serial" });

function total(dialog: ReturnType<Page["getByRole"]>, label: string) {
  return dialog.getByRole("listitem").filter({ hasText: label });
}

test.beforeEach(async ({ page, request }) => {
  await setFaults(request, {});
  await signInAsAdmin(page);
});

test("import, preview, cancel, confirm, apply, and see the people on the Users page", async ({ page, request }) => {
  const stamp = Date.now();
  const domain = `first-${stamp}.example.com`;
  const users = people(30, domain, stamp);
  const guest = {
    ...people(31, domain, stamp)[30],
    userType: "Guest",
    displayName: "Gus Guest",
    userPrincipalName: `gus_partner.com#EXT#@${domain}`,
    mail: `gus@partner-${stamp}.example.com`,
  };
  const disabled = { ...people(32, domain, stamp)[31], displayName: "Dora Disabled", accountEnabled: false };
  await putTenant(request, domain, [...users, guest, disabled], [
    { id: "10000000-0000-4000-8000-000000000001", displayName: `Engineering ${stamp}`, members: users.slice(0, 10).map((u) => u.id) },
  ]);

  await openImport(page);
  await expect(page.getByText("Demo tenant (simulated)")).toBeVisible();
  await preview(page);

  await expect(page.getByRole("tab", { name: /^Added\s+30$/ })).toBeVisible();
  await expect(page.getByRole("tab", { name: /^Updated\s+0$/ })).toBeVisible();
  await expect(page.getByRole("tab", { name: /^Skipped\s+2$/ })).toBeVisible();
  await expect(page.getByRole("tab", { name: /^Deactivated/ })).toHaveCount(0);
  await expect(page.getByText(/Nobody is deactivated: the overwrite behavior is/)).toBeVisible();
  // The first page of 25, searchable on the server.
  const panel = page.getByRole("tabpanel");
  await expect(panel.getByRole("row")).toHaveCount(26);
  await expect(panel.getByText("1–25 of 30")).toBeVisible();
  await panel.getByRole("searchbox", { name: "Search Added" }).fill(users[7].mail!);
  await panel.getByRole("button", { name: "Search" }).click();
  await expect(panel.getByRole("row")).toHaveCount(2);
  await expect(panel.getByRole("row").nth(1)).toContainText(users[7].displayName);

  await page.getByRole("tab", { name: /^Skipped/ }).click();
  await expect(panel.getByRole("row").filter({ hasText: "Gus Guest" })).toContainText("Guest account");
  await expect(panel.getByRole("row").filter({ hasText: "Dora Disabled" })).toContainText("Account disabled in Azure AD");
  await page.getByRole("tab", { name: /^Groups/ }).click();
  await expect(panel.getByRole("row").filter({ hasText: `Engineering ${stamp}` })).toContainText("New group");
  // The Groups tab is searched on the server, like the others.
  await panel.getByRole("searchbox", { name: "Search Groups" }).fill(`engineering ${stamp}`);
  await panel.getByRole("button", { name: "Search" }).click();
  await expect(panel.getByRole("row")).toHaveCount(2);
  await expect(panel.getByText("1–1 of 1")).toBeVisible();

  // Cancel changes nothing.
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Apply these changes?" });
  await expect(dialog).toBeVisible();
  await expect(total(dialog, "Users to be inserted")).toContainText("30");
  await expect(total(dialog, "Users to be updated")).toContainText("0");
  await expect(total(dialog, "Users to be deactivated")).toContainText("0");
  await expect(total(dialog, "Rows excluded")).toContainText("0");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await page.goto(`/users?q=${domain}`);
  await expect(page.getByRole("heading", { name: "No users found" })).toBeVisible();

  // The preview waits on the server; confirm applies it.
  await openImport(page);
  await expect(page.getByRole("tab", { name: /^Added\s+30$/ })).toBeVisible();
  await confirmAndApply(page);
  await expect(page.locator(".count").filter({ hasText: "Inserted" })).toContainText("30");

  await page.getByRole("link", { name: "Go to Users" }).click();
  await page.getByRole("searchbox", { name: "Search users" }).fill(domain);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByText("1–25 of 30")).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: users[0].mail! })).toContainText("Azure AD");

  // The run is in Sync history with its per-user changes.
  await page.getByRole("link", { name: "Sync history" }).click();
  await page.getByRole("link", { name: /^Run #/ }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: /Run #\d+/ })).toContainText("Applied");
  await expect(page.getByRole("tabpanel").getByRole("row").filter({ hasText: users[0].mail! })).toContainText("Done");
  await expect(page.getByRole("link", { name: "Download CSV" })).toHaveAttribute("href", /\/api\/sync\/runs\/\d+\/csv/);
});

test("a second sync shows renames as Updated, old -> new, and excluded rows stay out", async ({ page, request }) => {
  const stamp = Date.now();
  const domain = `second-${stamp}.example.com`;
  const users = people(12, domain, stamp);
  await putTenant(request, domain, users);
  await openImport(page);
  await preview(page);
  await confirmAndApply(page);

  await changeUser(request, users[2].id, { displayName: "Ada Byron King", jobTitle: "Principal Engineer" });
  const newcomer = people(14, domain, stamp)[13];
  const late = people(14, domain, stamp)[12];
  await putTenant(request, domain, [...users.map((u, i) => (i === 2 ? { ...u, displayName: "Ada Byron King", jobTitle: "Principal Engineer" } : u)), newcomer, late]);

  await openImport(page);
  await preview(page);
  await expect(page.getByRole("tab", { name: /^Added\s+2$/ })).toBeVisible();
  await page.getByRole("tab", { name: /^Updated\s+1$/ }).click();
  const row = page.getByRole("tabpanel").getByRole("row").filter({ hasText: "Ada Byron King" });
  await expect(row).toContainText(`Display name: ${users[2].displayName} → Ada Byron King`);
  await expect(row).toContainText("Job title: Engineer → Principal Engineer");

  await page.getByRole("tab", { name: /^Added/ }).click();
  await page.getByRole("checkbox", { name: `Exclude ${newcomer.displayName}` }).check();
  await expect(page.getByText("1 row excluded from the apply.")).toBeVisible();
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Apply these changes?" });
  await expect(total(dialog, "Users to be inserted")).toContainText("1");
  await expect(total(dialog, "Users to be updated")).toContainText("1");
  await expect(total(dialog, "Rows excluded")).toContainText("1");
  await dialog.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByRole("heading", { name: "Sync complete" })).toBeVisible();

  await page.goto(`/users?q=${newcomer.mail}`);
  await expect(page.getByRole("heading", { name: "No users found" })).toBeVisible();
  await page.goto(`/users?q=${late.mail}`);
  await expect(page.getByRole("row").filter({ hasText: late.displayName })).toBeVisible();
  await page.goto(`/users?q=${users[2].mail}`);
  await expect(page.getByRole("row").filter({ hasText: "Ada Byron King" })).toContainText("Principal Engineer");
});

test("a tenant that suddenly shrinks needs the explicit override", async ({ page, request }) => {
  const stamp = Date.now();
  const domain = `shrink-${stamp}.example.com`;
  const users = people(20, domain, stamp);
  await putTenant(request, domain, users);
  await openImport(page);
  await preview(page);
  await confirmAndApply(page);

  // Five users left, one of them promoted: something to apply, from a
  // directory a quarter of its size last time.
  await putTenant(request, domain, [{ ...users[0], jobTitle: "Director" }, ...users.slice(1, 5)]);
  await openImport(page);
  await preview(page);
  await expect(page.getByText(/larger than the safety threshold allows/).first()).toBeVisible();
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Apply these changes?" });
  await expect(dialog.getByRole("alert")).toContainText("fewer than half the 20 it returned last time");
  const confirm = dialog.getByRole("button", { name: "Confirm" });
  await expect(confirm).toBeDisabled();
  await dialog.getByRole("checkbox", { name: /override the safety threshold/ }).check();
  await expect(confirm).toBeEnabled();
  await confirm.click();
  await expect(page.getByRole("heading", { name: "Sync complete" })).toBeVisible();
  await page.goto("/history");
  await page.getByRole("link", { name: /^Run #/ }).first().click();
  await expect(page.getByText("Safety threshold overridden by")).toBeVisible();
});

test("the dialog works from the keyboard alone", async ({ page, request }) => {
  const stamp = Date.now();
  const domain = `keys-${stamp}.example.com`;
  await putTenant(request, domain, people(3, domain, stamp));
  await openImport(page);
  await preview(page);

  const open = page.getByRole("button", { name: "Confirm", exact: true });
  await open.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Apply these changes?" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();

  await open.focus();
  await page.keyboard.press("Enter");
  await expect(dialog).toBeVisible();
  await page.keyboard.press("Tab");
  await expect(dialog.getByRole("button", { name: "Confirm" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Sync complete" })).toBeVisible();
});

test("a reload rejoins the running sync, another admin is refused, and Cancel stops the fetch", async ({ page, browser, request }) => {
  const stamp = Date.now();
  const domain = `slow-${stamp}.example.com`;
  await putTenant(request, domain, people(200, domain, stamp));
  // Pages of five, each taking 400 ms: the fetch runs for about 16 seconds.
  await setFaults(request, { maxPageSize: 5, latencyMs: 400 });
  await openImport(page);
  // Everything, not the changes since the last test's read: the progress
  // counts against the directory's total.
  await page.getByRole("checkbox", { name: /Full read/ }).check();
  await page.getByRole("button", { name: "Import from Azure AD" }).click();
  const bar = page.getByRole("progressbar", { name: "Reading Azure AD" });
  await expect(bar).toBeVisible();

  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("progressbar", { name: "Reading Azure AD" })).toBeVisible();
  await expect(page.getByText(/of 200 users/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Import from Azure AD" })).toBeDisabled();

  // Another browser, another session: the button says why it is disabled.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signInAsAdmin(otherPage);
  await openImport(otherPage);
  await expect(otherPage.getByRole("button", { name: "Import from Azure AD" })).toBeDisabled();
  await expect(otherPage.getByText(/A sync started by admin@example.com is running/)).toBeVisible();

  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByText(/The import was cancelled by admin@example.com/)).toBeVisible();
  await expect(otherPage.getByText(/The import was cancelled/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Import from Azure AD" })).toBeEnabled();
  await other.close();
});

test("a reload during the apply shows the same apply, to its end", async ({ page, request }) => {
  test.setTimeout(120_000);
  // A tenant large enough that applying it takes a few seconds here.
  await generateTenant(request, 20000, 0, Date.now() % 100000);
  await openImport(page);
  await preview(page);
  await confirm(page);
  await expect(page.getByRole("progressbar", { name: "Applying changes" })).toBeVisible();

  await page.reload();
  await hydrated(page);
  // The first state the page shows after the reload is the apply in
  // progress (the server's snapshot), unless it ended in the meantime.
  await expect(
    page.getByRole("progressbar", { name: "Applying changes" }).or(page.getByRole("heading", { name: "Sync complete" })),
  ).toBeVisible();
  await expect(page.getByRole("heading", { name: "Sync complete" })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole("progressbar", { name: "Sync complete" })).toHaveAttribute("value", "100");
});

test("sign-in and consent problems are reported with their fix, and change nothing", async ({ page, request }) => {
  const stamp = Date.now();
  const domain = `faults-${stamp}.example.com`;
  await putTenant(request, domain, people(3, domain, stamp));
  await openImport(page);

  await setFaults(request, { expiredSecret: true });
  await page.getByRole("button", { name: "Import from Azure AD" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "The sync stopped." })).toContainText(
    "The client secret has expired (AADSTS7000222)",
  );

  await setFaults(request, { noRoles: true });
  await page.getByRole("button", { name: "Import from Azure AD" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "The sync stopped." })).toContainText("Grant admin consent");
  await expect(page.getByRole("heading", { name: "Preview" })).toBeHidden();

  await page.goto("/history");
  await expect(page.getByRole("row").filter({ hasText: "Failed" }).first()).toBeVisible();
});
