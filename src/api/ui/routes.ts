/**
 * /ui: the dashboard's static files (src/dashboard: plain HTML, CSS and JavaScript
 * modules, no build step, nothing fetched from another host). They hold no data, so
 * they are public; every figure on the page comes from the API with the caller's key.
 */
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { requires } from '../../http/auth';
import type { RouteDoc } from '../../http/route-docs';

const ROOT: RouteDoc = { summary: "The API's root: redirects to the dashboard", asset: true, responses: { 302: 'To /ui.' } };
const PAGE: RouteDoc = { summary: 'The dashboard (redirects /ui to /ui/)', asset: true, responses: { 200: 'The HTML page.', 302: 'To /ui/.' } };
const FILE: RouteDoc = {
  summary: "The dashboard's own files (HTML, CSS, JavaScript modules)",
  asset: true,
  params: { file: { description: 'A file name, e.g. app.js.' } },
  responses: { 200: 'The file.', 404: 'No such file.' },
};

/** Beside the compiled code too: `npm run build` copies src/dashboard to dist/dashboard. */
const ASSETS_DIR = path.resolve(__dirname, '..', '..', 'dashboard');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Only the page's own files and the API: no inline script, no other origin. */
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

interface Asset {
  body: Buffer;
  type: string;
}

/** Read once at start: a fixed set of names, so no request path ever reaches the file system. */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (type) assets.set(name, { body: readFileSync(path.join(dir, name)), type });
  }
  return assets;
}

export function dashboardRoutes(dir = ASSETS_DIR): Router {
  const assets = loadAssets(dir);
  const router = new Router();

  const send = (ctx: Context, asset: Asset) => {
    ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    ctx.set('X-Content-Type-Options', 'nosniff');
    // Small files that change with the code: revalidate rather than serve a stale page.
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = asset.type;
    ctx.body = asset.body;
  };

  // A browser pointed at the API's address lands on the dashboard.
  router.get('/', requires('public', ROOT), (ctx) => ctx.redirect('/ui'));
  // The router matches /ui and /ui/ alike: the page's relative asset links need the slash.
  router.get('/ui', requires('public', PAGE), (ctx) => (ctx.path.endsWith('/') ? send(ctx, assets.get('index.html')!) : ctx.redirect('/ui/')));
  router.get('/ui/:file', requires('public', FILE), (ctx, next) => {
    const asset = assets.get(ctx.params.file);
    if (!asset) return next();
    send(ctx, asset);
  });
  return router;
}
