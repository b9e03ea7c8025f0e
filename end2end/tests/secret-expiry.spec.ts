import { expect, test } from "@playwright/test";
import { hydrated, signInAsAdmin } from "./helpers";
import {
  passwordCredentials,
  registration,
  setFaults,
  setPasswordCredentials,
  type PasswordCredential,
} from "./tenant";

const DAY = 86_400_000;

function at(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * DAY).toISOString().replace(/\.\d+Z$/, "Z");
}

test("the client secret's expiry is read at Test connection and warned of on Settings and Import Users", async ({
  page,
  request,
}) => {
  // Earlier specs leave faults switched on (missing permissions among them).
  await setFaults(request, {});
  const original = await passwordCredentials(request);
  const hint = (await registration(request)).clientSecret.slice(0, 3);
  const endingSoon: PasswordCredential[] = [
    { keyId: "k-old", displayName: "old", hint: "zz9", startDateTime: at(-400), endDateTime: at(-40) },
    { keyId: "k-now", displayName: "helpdesk sync", hint, startDateTime: at(-170), endDateTime: at(10) },
  ];
  await setPasswordCredentials(request, endingSoon);
  try {
    await signInAsAdmin(page);
    await page.goto("/settings");
    await hydrated(page);
    await page.getByRole("button", { name: "Test connection" }).click();
    const notice = page.locator("#secret-expiry");
    await expect(notice).toContainText(/The client secret expires on \d{4}-\d\d-\d\d, in (9|10) days\./);
    await expect(notice).toContainText('the secret "helpdesk sync"');
    await expect(notice).toHaveClass(/banner-warning/);
    await expect(page.getByText(/Last read from Azure AD/)).toBeVisible();
    // Azure AD gave the date: nothing to enter by hand.
    await expect(page.getByLabel("Secret expires on")).toHaveCount(0);

    await page.goto("/import");
    await hydrated(page);
    const banner = page.locator("#secret-expiry");
    await expect(banner).toContainText("Certificates & secrets");
    await expect(banner).toHaveClass(/banner-warning/);
    await expect(banner.getByRole("link", { name: "Settings" })).toHaveAttribute("href", "/settings");
  } finally {
    // The next read finds the secret's six months again: later specs see no warning.
    await setPasswordCredentials(request, original);
    await page.goto("/settings");
    await hydrated(page);
    await page.getByRole("button", { name: "Test connection" }).click();
    await expect(page.locator("#secret-expiry")).toHaveClass(/banner-info/);
  }
});
