/**
 * L2's server, its own process: a Koa app with one trivial route and nothing else, to show
 * what HTTP on Node costs on this machine before any of the API's middleware or Temporal.
 *
 *   tsx bench/trivial-server.ts --port 4000
 */
import Koa from 'koa';

const i = process.argv.indexOf('--port');
const port = Number(i >= 0 ? process.argv[i + 1] : 4000);
const app = new Koa();
app.use((ctx) => {
  ctx.body = { ok: true };
});
const server = app.listen(port, '127.0.0.1', () => console.log(`trivial koa on 127.0.0.1:${port}`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
