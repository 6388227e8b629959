/**
 * API keys: configured as SHA-256 hashes (API_KEYS_FILE or API_KEYS), never in clear,
 * compared in constant time, each with scopes and a tenant. `read` allows GET, `write`
 * starts, signals and schedules, `admin` terminates and deletes; admin implies write
 * implies read. A key sees and acts on its own tenant's runs and schedules only; `admin`
 * reaches every tenant (../workflows/tenants.ts). Each route declares the scope it needs where it is defined (`requires`). The
 * file is re-read when it changes and on SIGHUP, so a key rotates without a restart.
 * ORCHESTRA_DEV_MODE=true (what `npm start` sets) turns checking off, and is refused on
 * anything but a loopback address (`assertSafeToListen`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Context, Next } from 'koa';
import { z } from 'zod';
import type { TaskVisibility } from '../tasks/registry';
import { APP_TENANT, DEV_TENANT, TENANT_PATTERN, type TenantReach } from '../workflows/tenants';
import { HttpProblem } from './problem';
import type { RouteDoc } from './route-docs';

export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const KeyFileSchema = z.strictObject({
  keys: z.array(
    z
      .strictObject({
        id: z.string().min(1).max(100),
        sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
        scopes: z.array(z.enum(SCOPES)).min(1),
        /** Who owns what the key starts; the key's id when absent. */
        tenant: z.string().regex(TENANT_PATTERN, 'must be 1 to 64 letters, digits, dots, underscores or dashes, starting with a letter or digit').optional(),
      })
      .refine((k) => (k.tenant ?? k.id) !== APP_TENANT, {
        message: `the tenant "${APP_TENANT}" is the application's own; give the key another tenant`,
        path: ['tenant'],
      }),
  ),
});

interface StoredKey {
  id: string;
  hash: Buffer;
  scopes: Set<Scope>;
  tenant: string;
}

export interface KeySource {
  file?: string;
  inline?: string;
}

export function hashKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export class ApiKeys {
  private keys: StoredKey[] = [];
  private readonly onHangup = () => this.reload();

  constructor(private readonly source: KeySource) {
    this.reload();
    if (source.file) {
      watchFile(source.file, { interval: 1000 }, () => this.reload());
      process.on('SIGHUP', this.onHangup);
    }
  }

  get size(): number {
    return this.keys.length;
  }

  /** Keeps the previous keys when the new file is invalid: a typo must not lock everyone out. */
  reload(): void {
    try {
      const text = this.source.file ? readFileSync(this.source.file, 'utf8') : (this.source.inline ?? '{"keys": []}');
      const parsed = KeyFileSchema.parse(JSON.parse(text));
      this.keys = parsed.keys.map((k) => ({ id: k.id, hash: Buffer.from(k.sha256, 'hex'), scopes: new Set(k.scopes), tenant: k.tenant ?? k.id }));
    } catch (error) {
      console.error(`API keys not (re)loaded, keeping ${this.keys.length} previous: ${(error as Error).message}`);
    }
  }

  /** The key's id and scopes, or undefined. Every stored hash is compared, so timing says nothing. */
  verify(secret: string): StoredKey | undefined {
    const presented = createHash('sha256').update(secret, 'utf8').digest();
    let match: StoredKey | undefined;
    for (const key of this.keys) if (timingSafeEqual(presented, key.hash) && !match) match = key;
    return match;
  }

  close(): void {
    if (this.source.file) unwatchFile(this.source.file);
    process.off('SIGHUP', this.onHangup);
  }
}

/** What a route needs: no key at all, or a key with this scope (or a wider one). */
export type RouteAccess = 'public' | Scope;

/**
 * Who sent the request, as `identify` found it: development mode (every scope), a valid
 * key, or nobody (no key, or one that matched none: `presented`).
 */
export type Caller = { kind: 'dev' } | { kind: 'key'; id: string; scopes: ReadonlySet<Scope>; tenant: string } | { kind: 'anonymous'; presented: boolean };

const ACCESS = Symbol('orchestra.routeAccess');
const DOC = Symbol('orchestra.routeDoc');
type Guard = ((ctx: Context, next: Next) => Promise<void>) & { [ACCESS]: RouteAccess; [DOC]?: RouteDoc };

function grants(scopes: ReadonlySet<Scope>, needed: Scope): boolean {
  return SCOPES.slice(SCOPES.indexOf(needed)).some((s) => scopes.has(s));
}

export function callerOf(ctx: Context): Caller {
  return (ctx.state.caller as Caller | undefined) ?? { kind: 'anonymous', presented: false };
}

/** Whether the request's caller holds `scope` (development mode holds every scope). */
export function callerHas(ctx: Context, scope: Scope): boolean {
  const caller = callerOf(ctx);
  return caller.kind === 'dev' || (caller.kind === 'key' && grants(caller.scopes, scope));
}

/**
 * Which tasks the caller may name in a canvas or schedule: internal ones need `admin`
 * (src/tasks/registry.ts, TaskVisibility); development mode holds every scope.
 */
export function taskReach(ctx: Context): TaskVisibility {
  return callerHas(ctx, 'admin') ? 'internal' : 'public';
}

/** The tenant that owns what the caller starts: its key's (development mode is one tenant). */
export function callerTenant(ctx: Context): string {
  const caller = callerOf(ctx);
  return caller.kind === 'key' ? caller.tenant : DEV_TENANT;
}

/** The id of the caller's key; development mode's callers share `development`. */
export const DEV_KEY_ID = 'development';
export function callerKeyId(ctx: Context): string {
  const caller = callerOf(ctx);
  return caller.kind === 'key' ? caller.id : DEV_KEY_ID;
}

/** How the caller is recorded as the sender of an event or the author of a trigger: its key's id, or the development mode that checks none. */
export function callerName(ctx: Context): string {
  const caller = callerOf(ctx);
  return caller.kind === 'key' ? caller.id : caller.kind === 'dev' ? 'development mode' : 'anonymous';
}

/** Whose runs and schedules the caller sees and acts on: its tenant's, or with admin every tenant's. */
export function tenantReach(ctx: Context): TenantReach {
  return { tenant: callerTenant(ctx), all: callerHas(ctx, 'admin') };
}

/**
 * Finds the caller and remembers it on ctx.state; refuses nothing. Refusing is each
 * route's own `requires(...)`, which runs only for the route that matched, so a path's
 * case or a trailing slash cannot pair one route's handler with another route's scope.
 */
export function identify({ keys, devMode }: { keys: ApiKeys; devMode: boolean }) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (devMode) ctx.state.caller = { kind: 'dev' } satisfies Caller;
    else {
      const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'));
      const key = match ? keys.verify(match[1]) : undefined;
      ctx.state.caller = (
        key ? { kind: 'key', id: key.id, scopes: key.scopes, tenant: key.tenant } : { kind: 'anonymous', presented: ctx.get('authorization') !== '' }
      ) satisfies Caller;
      if (key) ctx.state.apiKeyId = key.id;
    }
    return next();
  };
}

/**
 * The first middleware of every route, declaring what it needs where it is defined:
 * `router.post('/:id/terminate', requires('admin', doc), handler)`; `doc` is the route's
 * OpenAPI description (./route-docs), which /openapi.json is built from. read reads, write starts
 * and signals, admin terminates and deletes; admin implies write implies read.
 */
export function requires(access: RouteAccess, doc?: RouteDoc): Guard {
  const guard = async (ctx: Context, next: Next): Promise<void> => {
    if (access === 'public') return next();
    const caller = callerOf(ctx);
    if (caller.kind === 'anonymous') {
      throw new HttpProblem(401, 'Unauthorized', caller.presented ? 'The API key is not valid.' : 'Send an API key: Authorization: Bearer <key>.', undefined, {
        'WWW-Authenticate': 'Bearer realm="orchestra"',
      });
    }
    if (caller.kind === 'key' && !grants(caller.scopes, access)) throw new HttpProblem(403, 'Forbidden', `This key lacks the ${access} scope.`);
    return next();
  };
  return Object.assign(guard, { [ACCESS]: access, [DOC]: doc });
}

/** The OpenAPI description a route's first middleware carries (see ./route-docs), or undefined. */
export function declaredDoc(middleware: unknown): RouteDoc | undefined {
  return typeof middleware === 'function' && DOC in middleware ? (middleware as Guard)[DOC] : undefined;
}

/** The access a route's first middleware declares, or undefined when it declares none. */
export function declaredAccess(middleware: unknown): RouteAccess | undefined {
  return typeof middleware === 'function' && ACCESS in middleware ? (middleware as Guard)[ACCESS] : undefined;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\]|::ffff:127(\.\d{1,3}){3})$/i;

/**
 * Development mode checks no keys, so it may only listen where nothing but this machine
 * reaches it. Throws the message the API exits with otherwise.
 */
export function assertSafeToListen(host: string, devMode: boolean): void {
  if (!devMode || LOOPBACK.test(host)) return;
  throw new Error(
    `refusing to listen on ${host} in development mode (ORCHESTRA_DEV_MODE=true checks no API keys): ` +
      'listen on a loopback address (API_HOST=127.0.0.1, ::1 or localhost), or configure API keys (API_KEYS_FILE or API_KEYS) and unset ORCHESTRA_DEV_MODE',
  );
}
