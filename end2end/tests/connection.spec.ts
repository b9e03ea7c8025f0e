import { expect, test, type Page } from "@playwright/test";
import { connectionURL } from "../playwright.config";
import { hydrated, signInAsAdmin } from "./helpers";
import { registration, setFaults, type Registration } from "./tenant";

// The second server: never in demo mode, its cloud is the first server's
// simulated tenant, so the connection typed here is the one it signs in with.
test.use({ baseURL: connectionURL });
test.describe.configure({ mode: "serial" });

let reg: Registration;

async function openSettings(page: Page) {
  await page.goto("/settings");
  await hydrated(page);
}

async function save(page: Page, fields: { tenant?: string; client?: string; secret?: string }) {
  if (fields.tenant !== undefined) await page.getByLabel("Tenant ID").fill(fields.tenant);
  if (fields.client !== undefined) await page.getByLabel("Client ID").fill(fields.client);
  if (fields.secret !== undefined) await page.getByLabel("Client secret").fill(fields.secret);
  await page.getByRole("button", { name: "Save connection" }).click();
}

async function testConnection(page: Page) {
  await page.getByRole("button", { name: "Test connection" }).click();
  const result = page.getByRole("region", { name: "Test connection result" });
  await expect(page.getByRole("button", { name: "Test connection" })).toBeEnabled();
  return result;
}

test.beforeEach(async ({ page, request }) => {
  reg = await registration(request);
  await setFaults(request, {});
  await signInAsAdmin(page);
  await openSettings(page);
});

test.afterAll(async ({ request }) => {
  await setFaults(request, {});
});

test("bad fields are explained at each field and nothing is saved", async ({ page }) => {
  await save(page, { tenant: "common", client: "my app", secret: "0b0e4a8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c" });
  await expect(page.getByText(/is not one tenant/)).toBeVisible();
  await expect(page.getByLabel("Tenant ID")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText(/Application \(client\) ID is a GUID/)).toBeVisible();
  await expect(page.getByText(/looks like the secret's ID/)).toBeVisible();
  await expect(page.getByLabel("Tenant ID"), "the typing stays for correcting").toHaveValue("common");
  await openSettings(page);
  await expect(page.getByLabel("Tenant ID")).toHaveValue("");
});

test("a saved connection shows that a secret is set, never the secret", async ({ page }) => {
  await page.getByLabel("Cloud").selectOption({ label: "Global" });
  await save(page, { tenant: reg.tenantId, client: reg.clientId, secret: reg.clientSecret });
  await expect(page.getByRole("status")).toContainText("Connection saved");

  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel("Tenant ID")).toHaveValue(reg.tenantId);
  await expect(page.getByLabel("Client ID")).toHaveValue(reg.clientId);
  await expect(page.getByLabel("Client secret")).toHaveValue("");
  await expect(page.getByText(/Secret set .* by admin@example\.com/)).toBeVisible();
  await expect(page.getByText(`Tenant ${reg.tenantId} (Graph at`)).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: "Client secret set" })).toBeVisible();
  expect(await page.content()).not.toContain(reg.clientSecret);
});

test("Test connection reports success, then a wrong or expired secret and missing consent with their fixes", async ({
  page,
  request,
}) => {
  let result = await testConnection(page);
  await expect(result).toContainText(`Connected to tenant ${reg.tenantId} as ${reg.appDisplayName}`);
  for (const permission of ["User.Read.All", "Group.Read.All", "Directory.Read.All"]) {
    await expect(result.getByRole("list", { name: "Permissions" }).getByRole("listitem").filter({ hasText: permission })).toContainText("Granted");
  }
  await expect(result).toContainText(/Read users: [\d,]+ in the directory/);

  // The secret's ID or a typo: Azure AD says the secret is wrong.
  await save(page, { secret: "Wrong~SecretValue.123" });
  await expect(page.getByRole("status")).toContainText("Connection saved");
  result = await testConnection(page);
  await expect(result).toContainText("Could not sign in");
  await expect(result).toContainText("Use the secret's Value, not its ID");

  await openSettings(page);
  await save(page, { secret: reg.clientSecret });
  await expect(page.getByRole("status")).toContainText("Connection saved");

  await setFaults(request, { expiredSecret: true });
  result = await testConnection(page);
  await expect(result).toContainText("The client secret has expired");
  await expect(result).toContainText("Certificates & secrets");

  await setFaults(request, { noRoles: true });
  result = await testConnection(page);
  await expect(result).toContainText("admin consent has not been granted");
  await expect(result.getByRole("list", { name: "Permissions" }).getByRole("listitem").filter({ hasText: "Group.Read.All" })).toContainText("Missing");
  await expect(result).toContainText('click "Grant admin consent"');

  await setFaults(request, {});
  result = await testConnection(page);
  await expect(result).toContainText("Every permission dirsync needs is granted");
});
