/** A webhook receiver on this machine, for the tests of completion webhooks. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  key: string;
}

/**
 * A receiver that honours the Idempotency-Key: it processes a key the first time it sees
 * it (`processed`), answers later copies 200 without processing them, and records every
 * POST. `answer` decides each POST's status; undefined holds the request open.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  readonly processed = new Map<string, Received>();
  answer: (request: Received, copies: number) => number | undefined = () => 200;
  private server!: Server;
  url = '';

  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), key: String(req.headers['idempotency-key'] ?? '') };
        this.received.push(request);
        const copies = this.received.filter((r) => r.key === request.key).length;
        const status = this.answer(request, copies);
        if (status === undefined) return; // held open: the sender dies waiting
        if (status >= 200 && status < 300 && !this.processed.has(request.key)) this.processed.set(request.key, request);
        res.writeHead(status).end();
      });
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  for(workflowId: string): Received[] {
    return this.received.filter((r) => r.key.startsWith(`${workflowId}/`));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
