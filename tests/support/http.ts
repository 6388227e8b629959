/** Test helpers: talk to the running API, the SMTP sink's inbox and the process control. */
import { Client, Connection } from '@temporalio/client';
import { request as httpRequest } from 'node:http';

export const apiUrl = () => process.env.ORCHESTRA_TEST_API_URL!;

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const response = await fetch(`${apiUrl()}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

export interface RawReply {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A request exactly as given (no header added or normalised), for paths, content types and browser headers. */
export function raw(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: body === undefined ? headers : { 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `raw`, sent again after Retry-After while the development mode's rate limit answers 429. */
export async function rawPaced(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<RawReply> {
  for (let attempt = 0; ; attempt++) {
    const reply = await raw(base, method, path, headers, body);
    if (reply.status !== 429 || attempt > 20) return reply;
    await new Promise((resolve) => setTimeout(resolve, Number(reply.headers['retry-after'] ?? 1) * 1000));
  }
}

/** Starts a canvas and waits for its end; answers the run view. */
export async function runCanvas(request: Record<string, unknown>, timeout = '90s'): Promise<any> {
  const started = await call('POST', '/workflows', request);
  if (started.status !== 201) throw new Error(`start failed: ${started.status} ${JSON.stringify(started.body)}`);
  return waitForEnd(started.body.workflowId, timeout);
}

export async function waitForEnd(workflowId: string, timeout = '90s'): Promise<any> {
  const result = await call('GET', `/workflows/${encodeURIComponent(workflowId)}/result?timeout=${timeout}`);
  if (result.status !== 200) throw new Error(`no end within ${timeout}: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}

/** Polls the run until `predicate` holds (bounded), answering the last view. */
export async function waitFor(workflowId: string, predicate: (view: any) => boolean, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = (await call('GET', `/workflows/${encodeURIComponent(workflowId)}`)).body;
    if (predicate(view)) return view;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(view).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function control(action: 'kill' | 'stop' | 'start', name: string, signal?: string): Promise<unknown> {
  const response = await fetch(`${process.env.ORCHESTRA_TEST_CONTROL_URL}/${action}/${name}${signal ? `/${signal}` : ''}`, { method: 'POST' });
  if (!response.ok) throw new Error(await response.text());
  return response.json();
}

export async function pids(): Promise<Record<string, number>> {
  return (await fetch(`${process.env.ORCHESTRA_TEST_CONTROL_URL}/pids`)).json() as Promise<Record<string, number>>;
}

export async function inbox(): Promise<Array<{ id: string; messageId: string | null; to: string[]; subject: string | null }>> {
  return (await fetch(`${process.env.ORCHESTRA_TEST_INBOX_URL}/messages`)).json() as Promise<any>;
}

export async function temporalClient(): Promise<Client> {
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  return new Client({ connection });
}
