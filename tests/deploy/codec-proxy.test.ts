/**
 * In the production compose, the Temporal Web UI can decode encrypted payloads through the
 * API's /codec: its browser calls TEMPORAL_CODEC_ENDPOINT (caddy's codec site, loopback
 * only), caddy adds `Authorization: Bearer $ORCHESTRA_CODEC_KEY`, and the API accepts it.
 * The files are parsed (no Docker here); the header caddy would send, with a sample key
 * substituted, then goes to the real API app in this process, with the CORS preflight the
 * browser sends first.
 */
import { Client } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parse } from 'yaml';
import { createApp } from '../../src/api/app';
import { ApiKeys, hashKey } from '../../src/http/auth';
import { ApiMetrics } from '../../src/http/metrics';
import { Runs } from '../../src/api/runs';
import { loadConfig, type Config } from '../../src/config';
import { AesGcmCodec } from '../../src/temporal/codec';

const root = path.resolve(__dirname, '..', '..');
type Service = { environment?: Record<string, string>; ports?: string[] };
const customTags = ['reset', 'override'].flatMap((kind) =>
  (['seq', 'map'] as const).map((collection) => ({ tag: `!${kind}`, collection, resolve: (node: { toJSON(): unknown }) => node.toJSON() })),
);
const prod = parse(fs.readFileSync(path.join(root, 'docker-compose.prod.yml'), 'utf8'), { merge: true, customTags }) as { services: Record<string, Service> };
const base = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const caddyfile = fs.readFileSync(path.join(root, 'deploy', 'caddy', 'Caddyfile'), 'utf8');

const endpoint = new URL(prod.services['temporal-ui'].environment!.TEMPORAL_CODEC_ENDPOINT);
const uiPort = Number(/^127\.0\.0\.1:(\d+):8080$/.exec(prod.services['temporal-ui'].ports![0])![1]);

/** The caddy site block serving `:port`, braces balanced. */
function siteBlock(port: string): string {
  const start = caddyfile.search(new RegExp(String.raw`^http://:${port}\s*\{`, 'm'));
  expect(start).toBeGreaterThanOrEqual(0);
  let depth = 0;
  for (let i = caddyfile.indexOf('{', start); i < caddyfile.length; i++) {
    if (caddyfile[i] === '{' && caddyfile[i - 1] !== '$' && !/^\{\$/.test(caddyfile.slice(i, i + 2))) depth++;
    if (caddyfile[i] === '}' && !/\{\$[A-Z_]+$/.test(caddyfile.slice(Math.max(0, i - 40), i))) depth--;
    if (depth === 0) return caddyfile.slice(start, i + 1);
  }
  throw new Error('unbalanced site block');
}

test('the UI calls a loopback codec site on caddy that passes /codec only, with a key added', () => {
  expect(endpoint.hostname).toBe('localhost');
  expect(endpoint.pathname).toBe('/codec');
  // Published on the host's loopback only, to caddy's codec site.
  const published = prod.services.caddy.ports!.find((p) => p.startsWith(`127.0.0.1:${endpoint.port}:`));
  expect(published).toBeDefined();
  const site = siteBlock(published!.split(':')[2]);
  expect(site).toMatch(/handle \/codec\/\* \{\s*reverse_proxy api:3000 \{/);
  expect(site).toContain('header_up Authorization "Bearer {$ORCHESTRA_CODEC_KEY}"');
  expect(site).toMatch(/handle \{\s*respond "Not Found" 404/);
  expect(prod.services.caddy.environment!.ORCHESTRA_CODEC_KEY).toBe('${ORCHESTRA_CODEC_KEY:-}');
  // The API's CORS origin is the UI as the browser sees it.
  expect(prod.services.api.environment!.TEMPORAL_UI_ORIGIN).toBe(`http://localhost:${uiPort}`);
  expect(base.services.api.environment).toBeDefined();
});

test('the API accepts the header caddy sends: preflight allowed, payloads decoded', async () => {
  const secret = `orch_${randomBytes(16).toString('hex')}`;
  const header = /header_up Authorization "([^"]+)"/.exec(caddyfile)![1].replace('{$ORCHESTRA_CODEC_KEY}', secret);
  const codec = new AesGcmCodec({ k1: randomBytes(32).toString('base64') }, 'k1');
  const defaults = loadConfig();
  const config: Config = {
    ...defaults,
    security: {
      ...defaults.security,
      devMode: false,
      apiKeysFile: undefined,
      apiKeysInline: JSON.stringify({ keys: [{ id: 'codec', sha256: hashKey(secret), scopes: ['read'] }] }),
      uiOrigin: prod.services.api.environment!.TEMPORAL_UI_ORIGIN,
    },
  };
  const client = new Client(); // lazy: /codec never calls Temporal
  const apiKeys = new ApiKeys({ inline: config.security.apiKeysInline });
  const server = createApp({
    config,
    client,
    runs: new Runs(client, config),
    pingDatabase: async () => undefined,
    apiKeys,
    metrics: new ApiMetrics(),
    codec,
  }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/codec/decode`;
  try {
    const origin = config.security.uiOrigin;
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    expect([preflight.status, preflight.headers.get('access-control-allow-origin')]).toEqual([204, origin]);
    const [encrypted] = await codec.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"secret":42}') }]);
    const body = JSON.stringify({
      payloads: [
        {
          metadata: Object.fromEntries(Object.entries(encrypted.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
          data: Buffer.from(encrypted.data!).toString('base64'),
        },
      ],
    });
    const send = (authorization?: string) =>
      fetch(url, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', 'x-namespace': 'default', ...(authorization ? { authorization } : {}) },
        body,
      });
    expect((await send()).status).toBe(401); // what the UI alone would get
    const reply = await send(header);
    expect(reply.status).toBe(200);
    const decoded = (await reply.json()) as { payloads: Array<{ data: string }> };
    expect(Buffer.from(decoded.payloads[0].data, 'base64').toString()).toBe('{"secret":42}');
  } finally {
    server.close();
    apiKeys.close();
  }
});
