/**
 * The development SMTP sink: accepts every message, keeps each as an .eml file on disk,
 * and shows them over HTTP (a list page, GET /messages as JSON, GET /messages/:id raw).
 * Recipients at `reject.test` get a permanent 550 and at `tempfail.test` a transient 451,
 * so the email pool's error handling can be exercised for real.
 */
import { createServer, type Server } from 'node:http';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { escapeHtml } from '../app/email/mail-safety';

export interface StoredMessage {
  id: string;
  messageId: string | null;
  from: string | null;
  to: string[];
  subject: string | null;
  receivedAt: string;
  size: number;
}

export interface SmtpSinkOptions {
  dir: string;
  smtpPort: number;
  httpPort: number;
  host?: string;
}

export interface SmtpSink {
  close(): Promise<void>;
}

function header(raw: string, name: string): string | null {
  const head = raw.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ');
  const match = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head);
  return match ? match[1].trim() : null;
}

export async function listMessages(dir: string): Promise<StoredMessage[]> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(dir, f), 'utf8')) as StoredMessage));
}

export async function startSmtpSink({ dir, smtpPort, httpPort, host = '127.0.0.1' }: SmtpSinkOptions): Promise<SmtpSink> {
  await mkdir(dir, { recursive: true });
  let sequence = (await listMessages(dir)).length;

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    banner: 'Orchestra SMTP sink',
    size: 25 * 1024 * 1024,
    onRcptTo(address, _session, callback) {
      const domain = address.address.split('@')[1]?.toLowerCase();
      if (domain === 'reject.test') return callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
      if (domain === 'tempfail.test') return callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const text = raw.toString('utf8');
        const id = `${Date.now()}-${String(++sequence).padStart(6, '0')}`;
        const message: StoredMessage = {
          id,
          messageId: header(text, 'Message-ID'),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: header(text, 'Subject'),
          receivedAt: new Date().toISOString(),
          size: raw.length,
        };
        Promise.all([writeFile(path.join(dir, `${id}.eml`), raw), writeFile(path.join(dir, `${id}.json`), JSON.stringify(message))])
          .then(() => callback())
          .catch((error: Error) => callback(error));
      });
    },
  });

  const http: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://sink');
    const send = (status: number, type: string, body: string | Buffer) => res.writeHead(status, { 'Content-Type': type }).end(body);
    try {
      if (url.pathname === '/messages' && req.method === 'DELETE') {
        for (const f of await readdir(dir)) await rm(path.join(dir, f), { force: true });
        return send(204, 'text/plain', '');
      }
      if (url.pathname === '/messages') return send(200, 'application/json', JSON.stringify(await listMessages(dir)));
      const one = /^\/messages\/([\w-]+)$/.exec(url.pathname);
      if (one) return send(200, 'message/rfc822', await readFile(path.join(dir, `${one[1]}.eml`)));
      if (url.pathname === '/') {
        const rows = (await listMessages(dir))
          .reverse()
          .map(
            (m) =>
              `<tr><td>${escapeHtml(m.receivedAt)}</td><td>${escapeHtml(m.to.join(', '))}</td><td><a href="/messages/${m.id}">${escapeHtml(m.subject ?? '(no subject)')}</a></td></tr>`,
          )
          .join('');
        return send(
          200,
          'text/html; charset=utf-8',
          `<!doctype html><title>Orchestra inbox</title><h1>Inbox</h1><table><tr><th>received</th><th>to</th><th>subject</th></tr>${rows}</table>`,
        );
      }
      send(404, 'text/plain', 'not found');
    } catch (error) {
      send(404, 'text/plain', (error as Error).message);
    }
  });

  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(smtpPort, host, () => resolve());
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(httpPort, host, () => resolve());
  });
  return {
    async close() {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
