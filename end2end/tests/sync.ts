import { expect, type Page } from "@playwright/test";
import { hydrated } from "./helpers";

/** Steps of an import that several specs take. */

export async function openImport(page: Page) {
  await page.goto("/import");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1, name: "Import Users" })).toBeVisible();
}

/** Starts an import and waits for its preview. */
export async function preview(page: Page) {
  await page.getByRole("button", { name: "Import from Azure AD" }).click();
  await expect(page.getByRole("heading", { name: "Preview" })).toBeVisible({ timeout: 60_000 });
}

/** Confirms the preview in the dialog. Earlier tests' larger tenants can make
 * a small one look like a sudden shrink (or leave many users to deactivate),
 * so the override is ticked when it is asked for. */
export async function confirm(page: Page) {
  await page.getByRole("button", { name: "Confirm", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Apply these changes?" });
  await expect(dialog).toBeVisible();
  const override = dialog.getByRole("checkbox", { name: /override the safety threshold/ });
  if ((await override.count()) > 0) {
    await override.check();
  }
  await dialog.getByRole("button", { name: "Confirm" }).click();
}

/** Confirms and waits for the apply to finish. */
export async function confirmAndApply(page: Page) {
  await confirm(page);
  await expect(page.getByRole("heading", { name: "Sync complete" })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole("progressbar", { name: "Sync complete" })).toHaveAttribute("value", "100");
}
