import { expect, test } from "@playwright/test";
import { admin } from "../playwright.config";
import { hydrated, signIn, signInAsAdmin } from "./helpers";

test("an anonymous visit to /users lands on sign-in", async ({ page }) => {
  await page.goto("/users");
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
});

test("a wrong password is refused", async ({ page }) => {
  await signIn(page, admin.email, "not the password");
  await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/users");
  await expect(page).toHaveURL(/\/login$/);
});

test("sign-in lands on Users, with the navigation", async ({ page }) => {
  await signInAsAdmin(page);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByText("User Management")).toBeVisible();
  for (const name of ["Users", "Import Users", "Settings", "Sync history"]) {
    await expect(nav.getByRole("link", { name, exact: true })).toBeVisible();
  }
  await expect(nav.getByRole("link", { name: "Users", exact: true })).toHaveAttribute("aria-current", "page");
  await nav.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Sync options" })).toBeVisible();
});

test("sign-out returns to sign-in and ends the session", async ({ page }) => {
  await signInAsAdmin(page);
  await expect(page.getByText(admin.email)).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  await page.goto("/users");
  await expect(page).toHaveURL(/\/login$/);
});
