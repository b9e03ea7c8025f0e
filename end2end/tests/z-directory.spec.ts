import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { hydrated, signInAsAdmin } from "./helpers";
import { confirmAndApply, openImport, preview } from "./sync";
import { people, putTenant, setFaults, type SimUser } from "./tenant";

// Issue 13 in the browser: adoption of hand-made users, managers, the
// Groups page, undoing a run's deactivations, the Users page at 1280 px,
// and an accessibility check of every page. Named to run last (files run
// in name order): the people it imports would otherwise appear in the exact
// counts the other specs expect.
test.describe.configure({ mode: "serial" });

test.beforeEach(async ({ page, request }) => {
  await setFaults(request, {});
  await signInAsAdmin(page);
});

async function chooseOverwrite(page: Page, label: string) {
  await page.goto("/settings");
  await hydrated(page);
  await page.getByRole("radio", { name: label }).check();
  await page.getByRole("button", { name: "Save sync options" }).click();
  await expect(page.getByRole("status")).toContainText(/Sync options saved|already these/);
}

async function addLocalUser(page: Page, name: string, email: string) {
  await page.goto("/users/new");
  await hydrated(page);
  await page.getByLabel("Display name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page).toHaveURL(/\/users$/);
}

test("a hand-made user is adopted on the first import and shows the manager afterwards", async ({ page, request }) => {
  const stamp = Date.now();
  const domain = `adopt-${stamp}.example.com`;
  const [boss, ada, ...rest] = people(6, domain, stamp);
  const oldAddress = `ada.old.${stamp}@example.com`;
  const users: SimUser[] = [
    { ...boss, city: "Dublin", companyName: "Contoso Ltd" },
    {
      ...ada,
      managerId: boss.id,
      proxyAddresses: [`SMTP:${ada.mail}`, `smtp:${oldAddress}`],
      city: "London",
      usageLocation: "GB",
      employeeHireDate: "2021-03-01T00:00:00Z",
    },
    ...rest,
  ];
  await putTenant(request, domain, users, [
    { id: `20000000-0000-4000-8000-${String(stamp).slice(-12)}`, displayName: `Adopters ${stamp}`, members: users.map((u) => u.id) },
  ]);
  // Made by hand before the platform met Azure AD, under an old address.
  await addLocalUser(page, "Ada (typed by hand)", oldAddress.toUpperCase());

  await openImport(page);
  await preview(page);
  await expect(page.getByRole("tab", { name: /^Updated\s+1$/ })).toBeVisible();
  await page.getByRole("tab", { name: /^Updated/ }).click();
  const row = page.getByRole("tabpanel").getByRole("row").filter({ hasText: ada.displayName });
  await expect(row).toContainText("Link");
  await expect(row).toContainText(`Links the platform user ${oldAddress.toUpperCase()}, made by hand`);
  await expect(row).toContainText("City");
  await expect(row).toContainText("Manager");
  await expect(row).toContainText(boss.displayName);
  await confirmAndApply(page);

  // One Ada, linked, with her manager on the Users page and her own page.
  await page.goto(`/users?q=${encodeURIComponent(ada.mail!)}`);
  await hydrated(page);
  const listed = page.getByRole("row").filter({ hasText: ada.displayName });
  await expect(listed).toHaveCount(1);
  await expect(listed.getByRole("link", { name: boss.displayName })).toBeVisible();
  await expect(listed).toContainText("Azure AD");
  await listed.getByRole("link", { name: ada.displayName, exact: true }).click();
  await hydrated(page);
  const facts = page.getByRole("region", { name: "Directory" });
  await expect(facts.getByRole("link", { name: boss.displayName })).toBeVisible();
  await expect(facts.getByRole("link", { name: `Adopters ${stamp}` })).toBeVisible();
  await expect(page.getByLabel("City")).toHaveValue("London");
  await expect(page.getByLabel("Hire date")).toHaveValue("2021-03-01");
  await page.goto(`/users?q=${encodeURIComponent(oldAddress)}`);
  await expect(page.getByRole("heading", { name: "No users found" })).toBeVisible();
});

test("the Groups page lists the imported groups with their members", async ({ page, request }) => {
  const stamp = Date.now();
  const domain = `groups-${stamp}.example.com`;
  const users = people(30, domain, stamp);
  const engineering = `Engineering ${stamp}`;
  await putTenant(request, domain, users, [
    { id: `30000000-0000-4000-8000-${String(stamp).slice(-12)}`, displayName: engineering, members: users.slice(0, 27).map((u) => u.id) },
    { id: `30000000-0000-4000-8001-${String(stamp).slice(-12)}`, displayName: `Support ${stamp}`, members: users.slice(27).map((u) => u.id) },
  ]);
  await openImport(page);
  await preview(page);
  await confirmAndApply(page);

  await page.getByRole("link", { name: "Groups", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Groups" })).toBeVisible();
  await hydrated(page);
  await page.getByRole("searchbox", { name: "Search groups" }).fill(String(stamp));
  await page.getByRole("button", { name: "Search" }).click();
  const rows = page.getByRole("table", { name: "Groups" }).getByRole("row");
  await expect(rows).toHaveCount(3);
  await expect(rows.filter({ hasText: engineering })).toContainText("27");
  await rows.filter({ hasText: engineering }).getByRole("link").click();
  await expect(page.getByRole("heading", { level: 1, name: engineering })).toBeVisible();
  await hydrated(page);
  const members = page.getByRole("table", { name: "Members" });
  await expect(members.getByRole("row")).toHaveCount(26);
  await expect(page.getByText("1–25 of 27")).toBeVisible();
  await page.getByRole("link", { name: "Next" }).click();
  await expect(page.getByText("26–27 of 27")).toBeVisible();
  await page.getByRole("searchbox", { name: "Search members" }).fill(users[3].mail!);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(members.getByRole("row")).toHaveCount(2);
  await members.getByRole("link", { name: users[3].displayName, exact: true }).click();
  await expect(page.getByRole("region", { name: "Directory" }).getByRole("link", { name: engineering })).toBeVisible();
});

test("a run's deactivations are undone from Sync history", async ({ page, request }) => {
  test.setTimeout(120_000);
  const stamp = Date.now();
  const domain = `undo-${stamp}.example.com`;
  const users = people(12, domain, stamp);
  await putTenant(request, domain, users);
  await chooseOverwrite(page, "Add, update and deactivate users missing from Azure AD");
  try {
    // The first deactivating sync also deactivates what earlier tests imported.
    await openImport(page);
    await preview(page);
    await confirmAndApply(page);

    // Three people leave Azure AD, by mistake.
    await putTenant(request, domain, users.slice(3));
    await openImport(page);
    await preview(page);
    await expect(page.getByRole("tab", { name: /^Deactivated\s+3$/ })).toBeVisible();
    await confirmAndApply(page);

    await page.goto("/history");
    await hydrated(page);
    await page.getByRole("link", { name: /Run #\d+/ }).first().click();
    await hydrated(page);
    await page.getByRole("button", { name: "Reactivate the 3 users this run deactivated" }).click();
    await expect(page).toHaveURL(/\/import$/);
    await expect(page.getByText(/Reactivates the users run #\d+ deactivated/)).toBeVisible();
    await expect(page.getByRole("tab", { name: /^Updated\s+3$/ })).toBeVisible();
    await confirmAndApply(page);
    for (const u of users.slice(0, 3)) {
      await page.goto(`/users?q=${encodeURIComponent(u.mail!)}`);
      await expect(page.getByRole("row").filter({ hasText: u.displayName })).toContainText("Active");
    }
    await page.goto("/history");
    await hydrated(page);
    await page.getByRole("link", { name: /Run #\d+/ }).first().click();
    await expect(page.getByText(/Undoes\s*the deactivations of run #\d+/)).toBeVisible();
  } finally {
    await chooseOverwrite(page, "Add new and update existing users");
  }
});

test("the Users page fits a 1280-pixel-wide window", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/users");
  await hydrated(page);
  const wrap = page.locator(".table-wrap");
  const overflow = await wrap.evaluate((el) => el.scrollWidth - el.clientWidth);
  expect(overflow, "no horizontal scrolling").toBeLessThanOrEqual(0);
  const row = page.getByRole("row").nth(1);
  const actions = row.getByRole("button", { name: /^(Deactivate|Reactivate) / });
  const box = await actions.boundingBox();
  const frame = await wrap.boundingBox();
  expect(box!.x + box!.width).toBeLessThanOrEqual(frame!.x + frame!.width);
  // One line box for the date: it does not wrap.
  const lines = (cell: ReturnType<Page["locator"]>) =>
    cell.evaluate((el) => {
      const range = document.createRange();
      range.selectNodeContents(el);
      return new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top))).size;
    });
  expect(await lines(row.locator("td.nowrap")), "'Last synced' on one line").toBe(1);
  const email = await row.locator("td.email").boundingBox();
  expect(email!.width, "the address keeps a readable width").toBeGreaterThanOrEqual(150);
});

test("every page passes an accessibility check", async ({ page, request }) => {
  test.setTimeout(120_000);
  // A group to show (the deactivating sync before removed the others).
  const stamp = Date.now();
  const domain = `axe-${stamp}.example.com`;
  const users = people(3, domain, stamp);
  await putTenant(request, domain, users, [
    { id: `40000000-0000-4000-8000-${String(stamp).slice(-12)}`, displayName: `Checked ${stamp}`, members: users.map((u) => u.id) },
  ]);
  await openImport(page);
  await preview(page);
  await confirmAndApply(page);
  await page.goto("/users");
  await hydrated(page);
  const userHref = await page.getByRole("row").nth(1).getByRole("link").first().getAttribute("href");
  await page.goto("/groups");
  await hydrated(page);
  const groupHref = await page.getByRole("table", { name: "Groups" }).getByRole("link").first().getAttribute("href");
  await page.goto("/history");
  await hydrated(page);
  const runHref = await page.getByRole("link", { name: /Run #\d+/ }).first().getAttribute("href");
  const pages = ["/users", "/users/new", userHref!, "/groups", groupHref!, "/import", "/settings", "/history", runHref!];
  for (const path of pages) {
    await page.goto(path);
    await hydrated(page);
    // A page's title comes with its data (a run's number, a user's name):
    // the check looks at the page once it has one, as a reader would.
    await expect(page).toHaveTitle(/\S/);
    await check(page, path);
  }
  await page.context().clearCookies();
  await page.goto("/login");
  await hydrated(page);
  await check(page, "/login");
});

async function check(page: Page, path: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const serious = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(serious, `${path}: serious or critical violations`).toEqual([]);
}
