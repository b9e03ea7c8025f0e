import { expect, test } from "@playwright/test";
import { signInAsAdmin, uniqueEmail } from "./helpers";

test.beforeEach(async ({ page }) => {
  await signInAsAdmin(page);
});

test("add a local user, find it by search, deactivate and reactivate it", async ({ page }) => {
  const email = uniqueEmail("zoe.obrien");
  const name = `Zoë O'Brien ${Date.now()}`;

  await page.getByRole("link", { name: "Add user" }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: "Add user" })).toBeVisible();
  await page.getByLabel("Display name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Department").fill("Customer Support");
  await page.getByLabel("Job title").fill("Team Lead");
  await page.getByRole("button", { name: "Add user" }).click();

  await expect(page).toHaveURL(/\/users$/);
  await expect(page.getByRole("status")).toContainText(`Saved ${name}.`);

  await page.getByRole("searchbox", { name: "Search users" }).fill(email);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/q=/);
  const row = page.getByRole("row").filter({ hasText: email });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("Customer Support");
  await expect(row).toContainText("Team Lead");
  await expect(row).toContainText("Active");
  await expect(row).toContainText("Local");

  await row.getByRole("button", { name: `Deactivate ${name}` }).click();
  await expect(row).toContainText("Deactivated");
  await expect(page.getByRole("status")).toContainText(`Deactivated ${name}.`);

  await row.getByRole("button", { name: `Reactivate ${name}` }).click();
  await expect(row.getByText("Active", { exact: true })).toBeVisible();
  await expect(page.getByRole("status")).toContainText(`Reactivated ${name}.`);
});

test("bad input is explained at each field and nothing is saved", async ({ page }) => {
  await page.goto("/users/new");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Job title").fill("x".repeat(129));
  await page.getByRole("button", { name: "Add user" }).click();

  await expect(page.getByLabel("Display name")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("Enter a display name.")).toBeVisible();
  await expect(page.getByText("Enter a valid email address, like name@example.com.")).toBeVisible();
  await expect(page.getByText("Job title is too long (at most 128 characters).")).toBeVisible();
  await expect(page).toHaveURL(/\/users\/new$/);

  // An email already in use names its owner.
  const email = uniqueEmail("grace");
  await page.getByLabel("Display name").fill("Grace Hopper");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Job title").fill("Rear Admiral");
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page).toHaveURL(/\/users$/);

  await page.getByRole("link", { name: "Add user" }).first().click();
  await page.getByLabel("Display name").fill("Someone Else");
  await page.getByLabel("Email").fill(email.toUpperCase());
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByText(`This email is already used by Grace Hopper (${email}).`)).toBeVisible();

  await page.goto(`/users?q=${encodeURIComponent("Someone Else")}`);
  await expect(page.getByRole("heading", { name: "No users found" })).toBeVisible();
});

test("edit a user", async ({ page }) => {
  const email = uniqueEmail("ada");
  await page.goto("/users/new");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Display name").fill("Ada Lovelace");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page).toHaveURL(/\/users$/);

  await page.getByRole("searchbox", { name: "Search users" }).fill(email);
  await page.getByRole("searchbox", { name: "Search users" }).press("Enter");
  await page.getByRole("link", { name: "Edit Ada Lovelace" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Edit Ada Lovelace" })).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveValue(email);
  await page.getByLabel("Job title").fill("Analyst");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page).toHaveURL(/\/users$/);
  await page.getByRole("searchbox", { name: "Search users" }).fill(email);
  await page.getByRole("searchbox", { name: "Search users" }).press("Enter");
  await expect(page.getByRole("row").filter({ hasText: email })).toContainText("Analyst");
});
