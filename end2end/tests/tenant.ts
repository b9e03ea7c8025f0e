import { expect, type APIRequestContext } from "@playwright/test";
import { admin, baseURL } from "../playwright.config";

/**
 * The demo tenant, driven through the emulator's control API
 * (`/graph-sim/_sim/...`). Each test writes a tenant of its own, under its
 * own domain, so that the counts it expects are exact.
 */
export type SimUser = {
  id: string;
  displayName: string;
  givenName?: string;
  surname?: string;
  mail?: string | null;
  userPrincipalName: string;
  jobTitle?: string;
  department?: string;
  accountEnabled?: boolean;
  userType?: string;
  /** The manager's id (served by `$expand=manager`). */
  managerId?: string | null;
  /** `SMTP:primary`, `smtp:alias`. */
  proxyAddresses?: string[];
  otherMails?: string[];
  companyName?: string;
  city?: string;
  country?: string;
  usageLocation?: string;
  employeeHireDate?: string;
};

export type SimGroup = { id: string; displayName: string; members: string[] };

// Absolute: the connection spec's pages are served by the second server.
const SIM = `${baseURL}/graph-sim/_sim`;

/**
 * The control API answers only a signed-in admin: each request context
 * signs in once (its cookie jar then carries the session).
 */
const signedIn = new WeakSet<APIRequestContext>();
async function asAdmin(request: APIRequestContext): Promise<APIRequestContext> {
  if (!signedIn.has(request)) {
    const response = await request.post(`${baseURL}/api/sign_in`, {
      form: { email: admin.email, password: admin.password },
      maxRedirects: 0,
    });
    expect(response.status()).toBeLessThan(400);
    signedIn.add(request);
  }
  return request;
}

/** A GUID made from a number, unique per test run. */
export function guid(n: number, stamp: number): string {
  const hex = (stamp * 1000 + n).toString(16).padStart(12, "0").slice(-12);
  return `00000000-0000-4000-8000-${hex}`;
}

const FIRST = ["Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Tim", "Barbara", "Ken", "Frances"];
const LAST = ["Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Berners-Lee", "Liskov", "Thompson", "Allen"];

/** `count` enabled members named after pioneers, at `domain`. */
export function people(count: number, domain: string, stamp: number): SimUser[] {
  return Array.from({ length: count }, (_, i) => {
    const given = FIRST[i % FIRST.length];
    const surname = `${LAST[Math.floor(i / FIRST.length) % LAST.length]}${i >= 100 ? i : ""}`;
    const alias = `${given}.${surname}.${i}`.toLowerCase();
    return {
      id: guid(i, stamp),
      displayName: `${given} ${surname} ${i}`,
      givenName: given,
      surname,
      mail: `${alias}@${domain}`,
      userPrincipalName: `${alias}@${domain}`,
      jobTitle: "Engineer",
      department: i % 2 === 0 ? "Engineering" : "Support",
    };
  });
}

export async function putTenant(
  request: APIRequestContext,
  domain: string,
  users: SimUser[],
  groups: SimGroup[] = [],
) {
  const response = await (await asAdmin(request)).put(`${SIM}/tenant`, { data: { domain, users, groups } });
  expect(response.status()).toBe(204);
}

export async function changeUser(request: APIRequestContext, id: string, changes: Partial<SimUser>) {
  const response = await (await asAdmin(request)).patch(`${SIM}/users/${id}`, { data: changes });
  expect(response.ok()).toBeTruthy();
}

export async function setFaults(request: APIRequestContext, faults: Record<string, unknown>) {
  const response = await (await asAdmin(request)).put(`${SIM}/faults`, { data: faults });
  expect(response.ok()).toBeTruthy();
}

/** The app registration the simulated tenant accepts. */
export type Registration = { tenantId: string; clientId: string; clientSecret: string; appDisplayName: string };

export async function registration(request: APIRequestContext): Promise<Registration> {
  const response = await (await asAdmin(request)).get(`${SIM}/registration`);
  expect(response.ok()).toBeTruthy();
  return response.json();
}

/** Replaces the tenant with a generated one of `users` people. */
export async function generateTenant(request: APIRequestContext, users: number, groups: number, seed: number) {
  const response = await (await asAdmin(request)).post(`${SIM}/tenant/generate`, {
    data: { users, groups, seed },
  });
  expect(response.ok()).toBeTruthy();
}

/** One of the app registration's client secrets, as Graph lists it. */
export type PasswordCredential = {
  keyId: string;
  displayName?: string;
  hint?: string;
  startDateTime: string;
  endDateTime: string;
};

export async function passwordCredentials(request: APIRequestContext): Promise<PasswordCredential[]> {
  const response = await (await asAdmin(request)).get(`${SIM}/credentials`);
  expect(response.ok()).toBeTruthy();
  return response.json();
}

export async function setPasswordCredentials(request: APIRequestContext, credentials: PasswordCredential[]) {
  const response = await (await asAdmin(request)).put(`${SIM}/credentials`, { data: credentials });
  expect(response.ok()).toBeTruthy();
}

/** Every deltaLink handed out so far is refused from now on, as Graph does
 * after seven days or on a reset. */
export async function expireDeltaTokens(request: APIRequestContext, as: "syncStateNotFound" | "resyncRequired" | "gone") {
  const response = await (await asAdmin(request)).post(`${SIM}/delta/expire`, { data: { as } });
  expect(response.ok()).toBeTruthy();
}
