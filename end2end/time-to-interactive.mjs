// The Import Users page's time to interactive in headless Chromium, for the
// scale benchmark (server/tests/scale/browser.rs): from navigation to the
// wasm having hydrated the page (`data-hydrated` on <body>), each run in a
// fresh browser context, so with nothing cached, as an admin's first visit.
//
//   node time-to-interactive.mjs <base URL> <name=value session cookie> <runs>
//
// Prints {"samples_ms": [...]} on its last line.
import { chromium } from "@playwright/test";

const [base, cookie, runs] = process.argv.slice(2);
const at = cookie.indexOf("=");
const session = { name: cookie.slice(0, at), value: cookie.slice(at + 1), url: base };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
const samples = [];
for (let i = 0; i < Number(runs); i++) {
  const context = await browser.newContext();
  await context.addCookies([session]);
  const page = await context.newPage();
  await page.goto(`${base}/import`);
  await page.locator('body[data-hydrated="true"]').waitFor({ timeout: 60_000 });
  samples.push(await page.evaluate(() => performance.now()));
  await context.close();
}
await browser.close();
console.log(JSON.stringify({ samples_ms: samples }));
