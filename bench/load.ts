/**
 * The in-repo load generator: closed-loop (each of C lanes sends its next request when the
 * previous one answered), for a duration or a count, over keep-alive connections,
 * recording every request's latency. No external tool needed.
 *
 *   npx tsx bench/load.ts --url http://127.0.0.1:3000/health -c 32 -d 10s
 *   npx tsx bench/load.ts --url http://127.0.0.1:3000/workflows -c 32 -n 1000 --body '{"canvas":{"task":"noop"}}'
 */
import http from 'node:http';
import { percentile } from './stats';

export interface LoadOptions {
  /** Requests in flight at once. */
  concurrency: number;
  /** Stop starting new operations after this long... */
  durationMs?: number;
  /** ...or after this many have been started (whichever comes first). */
  count?: number;
}

export interface LoadResult {
  /** Per-operation latency in ms, successful operations only, in completion order. */
  latenciesMs: number[];
  completed: number;
  errors: number;
  /** The first few error messages, to say what went wrong. */
  errorSamples: string[];
  elapsedMs: number;
  /** Successful operations per second of wall time, start to last answer. */
  perSecond: number;
}

/**
 * Runs `op` in `concurrency` closed-loop lanes until the count or the duration is reached.
 * `op` receives the operation's sequence number; a throw counts as an error.
 */
export async function closedLoop(options: LoadOptions, op: (seq: number) => Promise<void>): Promise<LoadResult> {
  if (options.durationMs === undefined && options.count === undefined) throw new Error('closedLoop needs a duration or a count');
  const latenciesMs: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let started = 0;
  const t0 = performance.now();
  const deadline = options.durationMs === undefined ? Infinity : t0 + options.durationMs;
  const limit = options.count ?? Infinity;
  const lane = async (): Promise<void> => {
    while (started < limit && performance.now() < deadline) {
      const seq = started++;
      const begin = performance.now();
      try {
        await op(seq);
        latenciesMs.push(performance.now() - begin);
      } catch (error) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  const elapsedMs = performance.now() - t0;
  return { latenciesMs, completed: latenciesMs.length, errors, errorSamples, elapsedMs, perSecond: (latenciesMs.length / elapsedMs) * 1000 };
}

export interface HttpResponse {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A tiny keep-alive HTTP/1.1 client on node:http, so the client's own cost stays small. */
export class HttpClient {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(baseUrl: string, maxSockets = 256) {
    this.base = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /**
   * One request. A keep-alive socket the server closed just as it was reused fails with
   * ECONNRESET before the request reached the server; that one case is retried once, as
   * Node's documentation advises (request.reusedSocket).
   */
  async request(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    try {
      return await this.send(method, path, body, headers);
    } catch (error) {
      if (!(error as { reusedSocket?: boolean }).reusedSocket) throw error;
      return this.send(method, path, body, headers);
    }
  }

  private send(method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          headers: body === undefined ? headers : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
          res.on('error', reject);
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        const staleSocket = req.reusedSocket && error.code === 'ECONNRESET';
        reject(Object.assign(error, { reusedSocket: staleSocket }));
      });
      req.end(body);
    });
  }

  /** Like request, but a status outside 200..299 is an error. */
  async expectOk(method: string, path: string, body?: string): Promise<HttpResponse> {
    const res = await this.request(method, path, body);
    if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: ${res.status} ${res.body.slice(0, 200)}`);
    return res;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Latency summary of one load run, in ms. */
export function latencySummary(result: LoadResult): { p50: number; p99: number; max: number } {
  return { p50: percentile(result.latenciesMs, 50), p99: percentile(result.latenciesMs, 99), max: percentile(result.latenciesMs, 100) };
}

function parseDurationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  const unit = match[2] ?? 's';
  return Number(match[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000);
}

async function main(argv: string[]): Promise<void> {
  const get = (flag: string, short?: string): string | undefined => {
    const i = argv.findIndex((a) => a === flag || a === short);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const url = get('--url');
  if (!url) throw new Error('usage: tsx bench/load.ts --url <url> [-c 32] [-d 10s | -n 1000] [--body <json>] [--method POST]');
  const target = new URL(url);
  const body = get('--body');
  const method = get('--method') ?? (body === undefined ? 'GET' : 'POST');
  const client = new HttpClient(target.origin);
  const countArg = get('-n', '--count');
  const result = await closedLoop(
    {
      concurrency: Number(get('-c', '--concurrency') ?? 32),
      count: countArg === undefined ? undefined : Number(countArg),
      durationMs: countArg === undefined ? parseDurationMs(get('-d', '--duration') ?? '10s') : undefined,
    },
    async () => void (await client.expectOk(method, target.pathname + target.search, body)),
  );
  client.close();
  const lat = latencySummary(result);
  console.log(
    `${result.completed} ok, ${result.errors} errors in ${(result.elapsedMs / 1000).toFixed(1)} s: ${result.perSecond.toFixed(0)} req/s, ` +
      `p50 ${lat.p50.toFixed(2)} ms, p99 ${lat.p99.toFixed(2)} ms, max ${lat.max.toFixed(1)} ms`,
  );
  if (result.errorSamples.length) console.log(`errors: ${result.errorSamples.join(' | ')}`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
