import { expect, test, type Page } from "@playwright/test";
import { signInAsAdmin } from "./helpers";
import { confirmAndApply, openImport, preview } from "./sync";
import { changeUser, expireDeltaTokens, people, putTenant, setFaults } from "./tenant";

// After a full read, an import reads only the changes; the admin's "Full
// read" and a refused token read everything; Sync history says which.
// Named to run last: the users it imports would change the counts that
// import.spec.ts expects of the platform.
test.describe.configure({ mode: "serial" });

test.beforeEach(async ({ page, request }) => {
  await setFaults(request, {});
  await signInAsAdmin(page);
});

/** The kind of read of the newest run, as Sync history shows it. */
async function newestRead(page: Page) {
  await page.goto("/history");
  const row = page.getByRole("table", { name: "Sync runs" }).getByRole("row").nth(1);
  const read = row.getByRole("cell").nth(3);
  return { text: (await read.textContent())?.trim(), title: await read.getAttribute("title") };
}

/** Discards the preview on Import Users, so that the next one is awaited. */
async function discard(page: Page) {
  await page.getByRole("button", { name: "Discard preview" }).click();
  await expect(page.getByRole("heading", { name: "Preview" })).toBeHidden();
}

test("a second import reads only the changes; Full read and a refused token read everything", async ({ page, request }) => {
  const stamp = Date.now();
  const domain = `delta-${stamp}.example.com`;
  const users = people(12, domain, stamp);
  await putTenant(request, domain, users);

  // Earlier specs may have read this connection: the first import here
  // reads everything by the admin's choice.
  await openImport(page);
  await page.getByRole("checkbox", { name: /Full read/ }).check();
  await preview(page);
  await confirmAndApply(page);
  expect((await newestRead(page)).text).toBe("Full read");

  await changeUser(request, users[2].id, { jobTitle: "Head of Deltas" });
  await openImport(page);
  await preview(page);
  await expect(page.getByRole("tab", { name: /^Updated\s+1$/ })).toBeVisible();
  await page.getByRole("tab", { name: /^Updated/ }).click();
  await expect(page.getByRole("tabpanel").getByRole("insertion").filter({ hasText: "Head of Deltas" })).toBeVisible();
  await discard(page);
  expect(await newestRead(page)).toEqual({ text: "Changes only", title: "Changes since the last read" });

  // The admin asks for everything.
  await openImport(page);
  const fullRead = page.getByRole("checkbox", { name: /Full read/ });
  await expect(fullRead).not.toBeChecked();
  await fullRead.check();
  await preview(page);
  await expect(page.getByRole("tab", { name: /^Updated\s+1$/ })).toBeVisible();
  await discard(page);
  expect(await newestRead(page)).toEqual({ text: "Full read", title: "Full read: asked for on Import Users" });

  // Azure AD forgot the changes: everything is read, and the run says why.
  await expireDeltaTokens(request, "resyncRequired");
  await openImport(page);
  await expect(page.getByRole("checkbox", { name: /Full read/ })).not.toBeChecked();
  await preview(page);
  await expect(page.getByRole("tab", { name: /^Updated\s+1$/ })).toBeVisible();
  await discard(page);
  const why = "Full read: Azure AD no longer knew the changes since the last read";
  expect((await newestRead(page)).title).toBe(why);
  await page.getByRole("table", { name: "Sync runs" }).getByRole("row").nth(1).getByRole("link").click();
  await expect(page.getByText(why)).toBeVisible();
});
