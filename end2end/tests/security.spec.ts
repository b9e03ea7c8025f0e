import { expect, test, type Page } from "@playwright/test";
import { signInAsAdmin } from "./helpers";
import { confirmAndApply, openImport, preview } from "./sync";
import { guid, putTenant, setFaults } from "./tenant";

test.describe.configure({ mode: "serial" });

/** Collects what the browser refused or was made to run. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to (execute|load|apply|connect|frame)/i.test(message.text())) {
      problems.push(message.text());
    }
  });
  page.on("dialog", async (dialog) => {
    problems.push(`a dialog opened: ${dialog.message()}`);
    await dialog.dismiss();
  });
  return problems;
}

test("HTML and script in directory fields are shown as text and never run", async ({ page, request }) => {
  const problems = watch(page);
  await setFaults(request, {});
  const stamp = Date.now() % 1_000_000_000;
  const domain = `xss-${stamp}.example.com`;
  const name = `<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> ${stamp}`;
  const title = `<iframe src="https://evil.example"></iframe><b>bold</b>`;
  await putTenant(request, domain, [
    {
      id: guid(1, stamp),
      displayName: name,
      givenName: `"><svg onload=alert(1)>`,
      surname: "Mallory",
      mail: `mallory@${domain}`,
      userPrincipalName: `mallory@${domain}`,
      jobTitle: title,
      department: "Engineering",
    },
  ]);
  await signInAsAdmin(page);
  await openImport(page);
  await preview(page);
  await expect(page.getByText(name).first()).toBeVisible();
  await confirmAndApply(page);

  await page.goto(`/users?search=${encodeURIComponent(`mallory@${domain}`)}`);
  await expect(page.getByText(name).first()).toBeVisible();
  await expect(page.getByText(title).first()).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  await expect(page.locator("main img[src='x'], main iframe, main svg[onload]")).toHaveCount(0);
  await expect(page.locator("main b").filter({ hasText: "bold" })).toHaveCount(0);
  expect(problems).toEqual([]);
});

test("every page runs under the Content-Security-Policy without a violation", async ({ page }) => {
  const problems = watch(page);
  await signInAsAdmin(page);
  for (const path of ["/users", "/users/new", "/import", "/settings", "/history"]) {
    const response = await page.goto(path);
    const csp = response?.headers()["content-security-policy"] ?? "";
    expect(csp, path).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}' 'wasm-unsafe-eval'/);
    expect(csp, path).toContain("frame-ancestors 'none'");
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }
  expect(problems).toEqual([]);
});

test("assets and server functions carry the security headers too", async ({ request }) => {
  for (const path of ["/pkg/dirsync.js", "/pkg/dirsync.wasm", "/pkg/dirsync.css", "/favicon.svg", "/api/health"]) {
    const response = await request.get(path);
    expect(response.status(), path).toBe(200);
    const headers = response.headers();
    expect(headers["x-content-type-options"], path).toBe("nosniff");
    expect(headers["referrer-policy"], path).toBe("same-origin");
    expect(headers["content-security-policy"], path).toContain("frame-ancestors 'none'");
  }
  const refused = await request.post("/api/list_users", { form: { search: "", page: "1" } });
  expect(refused.status()).toBe(401);
  expect(refused.headers()["x-content-type-options"]).toBe("nosniff");
});
