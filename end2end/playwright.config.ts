import { defineConfig } from "@playwright/test";

// The suite runs against a release build (`make test` builds it first),
// started here on its own port with a fresh database and a known admin.
const port = process.env.E2E_PORT ?? "3900";
export const baseURL = `http://127.0.0.1:${port}`;
// A second server, never in demo mode, for the connection settings: its
// "Microsoft" is the first server's simulated tenant.
const connectionPort = String(Number(port) + 1);
export const connectionURL = `http://127.0.0.1:${connectionPort}`;
/** The demo server's database, relative to this folder. */
export const demoDatabase = "../target/e2e/demo/dirsync.db";
export const admin = {
  email: process.env.E2E_ADMIN_EMAIL ?? "admin@example.com",
  password: process.env.E2E_ADMIN_PASSWORD ?? "end-to-end-secret-42",
};

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      // Debian's Chromium: Playwright's own browser download cannot be reached.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [{ name: "chromium" }],
  webServer: [
    {
      command: "target/release/server",
      cwd: "..",
      url: `${baseURL}/api/health`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
        LEPTOS_SITE_ROOT: "target/site",
        DATABASE_URL: "sqlite://target/e2e/demo/dirsync.db",
        ADMIN_EMAIL: admin.email,
        ADMIN_PASSWORD: admin.password,
        // The schedule spec makes a run due: the server notices within a second.
        DIRSYNC_SCHEDULE_CHECK_SECS: "1",
        RUST_LOG: "warn",
      },
    },
    {
      command: "target/release/server",
      cwd: "..",
      url: `${connectionURL}/api/health`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        LEPTOS_SITE_ADDR: `127.0.0.1:${connectionPort}`,
        LEPTOS_SITE_ROOT: "target/site",
        DATABASE_URL: "sqlite://target/e2e/connection/dirsync.db",
        ADMIN_EMAIL: admin.email,
        ADMIN_PASSWORD: admin.password,
        DIRSYNC_DEMO: "0",
        AZURE_AUTHORITY_HOST: `${baseURL}/graph-sim`,
        GRAPH_BASE_URL: `${baseURL}/graph-sim`,
        RUST_LOG: "warn",
      },
    },
  ],
});
