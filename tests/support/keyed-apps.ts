/**
 * API apps of a test file's own, in its process, with API keys checked (not development
 * mode): keys of several tenants, given as {name: {secret, scopes, tenant}}. The runs they
 * start execute on the test stack's pools.
 */
import { Client, Connection } from '@temporalio/client';
import type { Server } from 'node:http';
import { createApp } from '../../src/api/app';
import type { AppContext } from '../../src/api/context';
import { Runs } from '../../src/api/runs';
import { loadConfig, type Config } from '../../src/config';
import { ApiKeys, hashKey } from '../../src/http/auth';
import { ApiMetrics } from '../../src/http/metrics';

export interface TestKey {
  secret: string;
  scopes: readonly string[];
  tenant: string;
}

export interface Reply {
  status: number;
  body: any;
  text: string;
}

export class KeyedApps<K extends string> {
  private readonly keyFile: string;
  private readonly apps: Array<{ server: Server; context: AppContext }> = [];
  private connection: Connection | undefined;
  client!: Client;

  constructor(private readonly keys: Record<K, TestKey>) {
    this.keyFile = JSON.stringify({
      keys: Object.entries<TestKey>(keys).map(([id, k]) => ({ id, sha256: hashKey(k.secret), scopes: k.scopes, tenant: k.tenant })),
    });
  }

  /** Connects to the test stack's Temporal (call in beforeAll). */
  async connect(): Promise<void> {
    this.connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    this.client = new Client({ connection: this.connection });
  }

  /** A new app with these keys (and these security settings); answers its base URL. */
  async start(overrides: Partial<Config['security']> = {}): Promise<string> {
    const base = loadConfig();
    const config: Config = { ...base, security: { ...base.security, devMode: false, apiKeysFile: undefined, apiKeysInline: this.keyFile, ...overrides } };
    const context: AppContext = {
      config,
      client: this.client,
      runs: new Runs(this.client, config),
      pingDatabase: async () => undefined,
      apiKeys: new ApiKeys({ inline: this.keyFile }),
      metrics: new ApiMetrics(),
    };
    const server = await new Promise<Server>((resolve) => {
      const s = createApp(context).listen(0, '127.0.0.1', () => resolve(s));
    });
    this.apps.push({ server, context });
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  /** A request with key `who`'s secret as its bearer token. */
  async as(who: K, base: string, method: string, path: string, body?: unknown): Promise<Reply> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.keys[who].secret}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, text };
  }

  /** Closes every app and the connection (call in afterAll). */
  async close(): Promise<void> {
    for (const app of this.apps) {
      app.context.apiKeys.close();
      await new Promise((resolve) => app.server.close(resolve));
    }
    await this.connection?.close();
  }
}
