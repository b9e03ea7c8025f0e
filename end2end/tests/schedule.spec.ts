import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { demoDatabase } from "../playwright.config";
import { hydrated, signInAsAdmin } from "./helpers";
import { openImport } from "./sync";
import { setFaults } from "./tenant";

/**
 * Makes the saved schedule due now, as if its hours had passed: written
 * straight into the demo server's SQLite file (Python's sqlite3, as the
 * server's own tests do with sqlx), which the server reads every second.
 */
function makeScheduleDue() {
  execFileSync("python3", [
    "-c",
    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=10); " +
      "c.execute('UPDATE sync_schedule SET next_run_at = 1'); c.commit()",
    demoDatabase,
  ]);
}

test("a schedule set in Settings runs a sync that waits in Sync history as started by Schedule", async ({
  page,
  request,
}) => {
  test.setTimeout(90_000);
  // Earlier specs leave faults switched on: the scheduled read is a clean one.
  await setFaults(request, {});
  await signInAsAdmin(page);
  await page.goto("/settings");
  await hydrated(page);
  const card = page.locator("form").filter({ has: page.getByRole("heading", { name: "Scheduled sync" }) });
  await card.getByLabel("Hours between scheduled syncs").fill("4");
  await card.getByRole("radio", { name: "Preview only" }).check();
  await card.getByRole("button", { name: "Save schedule" }).click();
  await expect(page.getByRole("status")).toContainText("Schedule saved.");
  await expect(page.locator("#schedule-next")).toContainText(/Next scheduled sync: .* \(every 4 hours\)\./);
  await expect(page.getByRole("listitem").filter({ hasText: "Scheduled sync: Off → Every 4 hours" }).first()).toBeVisible();

  await openImport(page);
  await expect(page.locator("#next-scheduled")).toContainText("(every 4 hours).");

  makeScheduleDue();
  await expect(async () => {
    await page.goto("/history");
    await expect(page.getByRole("row").filter({ hasText: "Schedule" }).first()).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 60_000 });
  const row = page.getByRole("row").filter({ hasText: "Schedule" }).first();
  await expect(row).toContainText(/Previewed, not applied|Reading Azure AD/);
  // The preview waits for an admin: the navigation says so.
  await expect(async () => {
    await page.reload();
    await expect(page.locator(".nav-badge")).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 30_000 });

  await openImport(page);
  await expect(page.getByRole("heading", { name: "Preview" })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText(/started by Schedule\./)).toBeVisible();
  await expect(page.getByText(/Last scheduled sync: Scheduled preview #\d+ is ready; it waits for an admin\./)).toBeVisible();
  await page.getByRole("button", { name: "Discard preview" }).click();

  // Off again: later specs see no schedule.
  await page.goto("/settings");
  await hydrated(page);
  await card.getByRole("radio", { name: "Off" }).check();
  await card.getByRole("button", { name: "Save schedule" }).click();
  await expect(page.getByRole("status")).toContainText("Schedule saved.");
  await expect(page.locator("#schedule-next")).toHaveCount(0);
});
