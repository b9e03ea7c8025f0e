import { expect, type APIRequestContext } from "@playwright/test";
import { baseURL } from "../playwright.config";

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
};

export type SimGroup = { id: string; displayName: string; members: string[] };

// Absolute: the connection spec's pages are served by the second server.
const SIM = `${baseURL}/graph-sim/_sim`;

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
  const response = await request.put(`${SIM}/tenant`, { data: { domain, users, groups } });
  expect(response.status()).toBe(204);
}

export async function changeUser(request: APIRequestContext, id: string, changes: Partial<SimUser>) {
  const response = await request.patch(`${SIM}/users/${id}`, { data: changes });
  expect(response.ok()).toBeTruthy();
}

export async function setFaults(request: APIRequestContext, faults: Record<string, unknown>) {
  const response = await request.put(`${SIM}/faults`, { data: faults });
  expect(response.ok()).toBeTruthy();
}

/** The app registration the simulated tenant accepts. */
export type Registration = { tenantId: string; clientId: string; clientSecret: string; appDisplayName: string };

export async function registration(request: APIRequestContext): Promise<Registration> {
  const response = await request.get(`${SIM}/registration`);
  expect(response.ok()).toBeTruthy();
  return response.json();
}
