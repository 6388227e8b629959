/**
 * Tenants: who owns a run, a schedule and a flow-control key (README, "Tenants and keys").
 * A key's tenant is written on every run it starts (the OrchestraTenant search attribute),
 * so ownership survives any restart and the Temporal UI and CLI filter by it too. Plain
 * data with no imports: the workflow bundle reads it.
 */

/** The application's own runs and schedules: comments, avatars, digests, built-in schedules. */
export const APP_TENANT = 'orchestra';

/** Development mode is one tenant, whose caller holds every scope. */
export const DEV_TENANT = 'dev';

/** Tenant names: short, and never holding the "/" that joins a tenant to a flow-control key. */
export const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** What a caller sees and acts on: its own tenant's runs and schedules, or (admin) every tenant's. */
export interface TenantReach {
  tenant: string;
  all: boolean;
}

/** The reach of the API's own shared readers (an event feed), whose callers were checked one by one. */
export const EVERY_TENANT: TenantReach = { tenant: '', all: true };

/**
 * Whether a run or schedule owned by `owner` is within reach. The application's own runs
 * (a comment's, an avatar's) may be read by every key, as the comments and users they serve
 * can; acting on them needs admin. Runs from before tenants (no owner) are admin's alone.
 */
export function withinReach(reach: TenantReach, owner: string | undefined, purpose: 'read' | 'act'): boolean {
  return reach.all || owner === reach.tenant || (purpose === 'read' && owner === APP_TENANT);
}

/**
 * A debounce or concurrency key as its tenant owns it: two tenants' equal keys never meet
 * (`debounce-team-a/nightly`). Development mode, one tenant, keeps the plain key
 * (`debounce-nightly`), and so do runs from before tenants (their histories replay).
 */
export function tenantFlowKey(key: string, tenant: string | undefined): string {
  return tenant === undefined || tenant === DEV_TENANT ? key : `${tenant}/${key}`;
}
