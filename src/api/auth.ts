/**
 * API keys: configured as SHA-256 hashes (API_KEYS_FILE or API_KEYS), never in clear,
 * compared in constant time, each with scopes. `read` allows GET, `write` starts,
 * signals and schedules, `admin` terminates and deletes; admin implies write implies
 * read. The file is re-read when it changes and on SIGHUP, so a key rotates without a
 * restart. ORCHESTRA_DEV_MODE=true (what `npm start` sets) turns checking off.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Context, Next } from 'koa';
import { z } from 'zod';
import { HttpProblem } from './problem';

export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const KeyFileSchema = z.strictObject({
  keys: z.array(
    z.strictObject({
      id: z.string().min(1).max(100),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
      scopes: z.array(z.enum(SCOPES)).min(1),
    }),
  ),
});

interface StoredKey {
  id: string;
  hash: Buffer;
  scopes: Set<Scope>;
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
      const text = this.source.file ? readFileSync(this.source.file, 'utf8') : this.source.inline ?? '{"keys": []}';
      const parsed = KeyFileSchema.parse(JSON.parse(text));
      this.keys = parsed.keys.map((k) => ({ id: k.id, hash: Buffer.from(k.sha256, 'hex'), scopes: new Set(k.scopes) }));
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

const PUBLIC_PATHS = [/^\/health$/, /^\/ready$/, /^\/docs(\/|$)/, /^\/openapi\.json$/];

/**
 * The scope a request needs: terminate and delete are admin, other writes write, reads
 * read. Decoding payloads for the Web UI (/codec) is reading.
 */
export function requiredScope(method: string, path: string): Scope {
  if (method === 'DELETE' || /\/terminate$/.test(path)) return 'admin';
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || path.startsWith('/codec/')) return 'read';
  return 'write';
}

function grants(scopes: Set<Scope>, needed: Scope): boolean {
  return SCOPES.slice(SCOPES.indexOf(needed)).some((s) => scopes.has(s));
}

export interface AuthOptions {
  keys: ApiKeys;
  devMode: boolean;
  publicMetrics: boolean;
}

export function authenticate({ keys, devMode, publicMetrics }: AuthOptions) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const isPublic = PUBLIC_PATHS.some((p) => p.test(ctx.path)) || (publicMetrics && ctx.path === '/metrics') || ctx.method === 'OPTIONS';
    if (devMode || isPublic) return next();
    const header = ctx.get('authorization');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const key = match ? keys.verify(match[1]) : undefined;
    if (!key) {
      throw new HttpProblem(401, 'Unauthorized', match ? 'The API key is not valid.' : 'Send an API key: Authorization: Bearer <key>.', undefined, {
        'WWW-Authenticate': 'Bearer realm="orchestra"',
      });
    }
    const needed = requiredScope(ctx.method, ctx.path);
    if (!grants(key.scopes, needed)) throw new HttpProblem(403, 'Forbidden', `This key lacks the ${needed} scope.`);
    ctx.state.apiKeyId = key.id;
    return next();
  };
}
