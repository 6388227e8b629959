/**
 * The environment variables the project reads, found in its sources rather than listed by
 * hand: `process.env.X`, `process.env['X']`, and calls of any reader function declared as
 * `function f(name: string, …)` that reads `process.env[name]` (config.ts's str, int,
 * optional, aliased…: every quoted name among their arguments, so a deprecated alias
 * counts too). Per-pool templates (`POOL_${pool.toUpperCase()}_CONCURRENCY`) expand to
 * each pool; shell scripts' `${X:-…}` / `$X` reads count for the provision scripts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { POOL_NAMES } from '../../src/workflows/tasks/pools';

export const projectRoot = path.resolve(__dirname, '..', '..');

function files(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return files(full, ext);
    return entry.name.endsWith(ext) ? [full] : [];
  });
}

/** Shell scripts a user runs (directly or through npm start) whose variables are settings. */
export const SETTING_SCRIPTS = ['temporal/provision.sh', 'database/provision.sh', 'python/setup-env.sh'];
/** Read by shells and tools in those scripts, not settings of this project. */
const SHELL_ENV = new Set(['HOME', 'PATH', 'VERSION', 'CACHE']);

/** name → the files (relative) that read it. */
export function envReads(): Map<string, Set<string>> {
  const reads = new Map<string, Set<string>>();
  const add = (name: string, file: string) => {
    const rel = path.relative(projectRoot, file);
    reads.set(name, (reads.get(name) ?? new Set()).add(rel));
  };
  const sources = files(path.join(projectRoot, 'src'), '.ts');
  // Reader functions and which of their parameters name a variable (read as process.env[param]).
  // A function passing its parameter on to a reader is a reader too (oneOf → str), so repeat to a fixed point.
  const helpers = new Map<string, number[]>();
  const declarations = sources.flatMap((file) =>
    [...fs.readFileSync(file, 'utf8').matchAll(/function\s+(\w+)(?:<[^>]*>)?\s*\(([^)]*)\)[^{]*\{([\s\S]*?)\n\}/g)].map((m) => ({
      name: m[1],
      params: m[2].split(',').map((p) => p.trim().split(/[?:\s]/)[0]),
      body: m[3],
    })),
  );
  for (let changed = true; changed;) {
    changed = false;
    for (const { name, params, body } of declarations) {
      const readsParam = (param: string) =>
        new RegExp(String.raw`process\.env\[\s*${param}\s*\]`).test(body) ||
        [...helpers].some(([helper, positions]) =>
          [...body.matchAll(new RegExp(String.raw`\b${helper}\(((?:[^()]|\([^()]*\))*)\)`, 'g'))].some((call) =>
            positions.some((i) => splitArgs(call[1])[i] === param),
          ),
        );
      const named = params.flatMap((param, i) => (param && readsParam(param) ? [i] : []));
      if (named.length > (helpers.get(name)?.length ?? 0)) {
        helpers.set(name, named);
        changed = true;
      }
    }
  }
  const helperCall = new RegExp(String.raw`\b(${[...helpers.keys()].join('|')})\(((?:[^()]|\([^()]*\))*)\)`, 'g');
  const named = (arg: string, file: string) => {
    const literal = /^['"]([A-Z][A-Z0-9_]*)['"]$/.exec(arg);
    if (literal) add(literal[1], file);
    // Per-pool names built from a template: `POOL_${pool.toUpperCase()}_CONCURRENCY`.
    const template = /^`([A-Z0-9_]*)\$\{[^}]*\}([A-Z0-9_]*)`$/.exec(arg);
    if (template) for (const pool of POOL_NAMES) add(`${template[1]}${pool.toUpperCase()}${template[2]}`, file);
  };
  for (const file of sources) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)) add(m[1], file);
    for (const m of text.matchAll(/process\.env\[\s*(['"`][^\]]*)\]/g)) named(m[1].trim(), file);
    for (const call of text.matchAll(helperCall)) {
      if (/^function\s/.test(text.slice(Math.max(0, call.index - 9), call.index + 1).trimStart())) continue; // the declaration itself
      const args = splitArgs(call[2]);
      for (const i of helpers.get(call[1])!) if (args[i] !== undefined) named(args[i], file);
    }
  }
  for (const script of SETTING_SCRIPTS) {
    const file = path.join(projectRoot, script);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)) if (!SHELL_ENV.has(m[1])) add(m[1], file);
  }
  // The Python pool reads its own (python/orchestra_python).
  for (const file of files(path.join(projectRoot, 'python', 'orchestra_python'), '.py')) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/os\.environ(?:\.get\(|\[)\s*"([A-Z][A-Z0-9_]*)"/g)) add(m[1], file);
  }
  return reads;
}

/** Every variable name the README's configuration table lists (first column, in backticks). */
export function readmeConfigTable(readme = fs.readFileSync(path.join(projectRoot, 'README.md'), 'utf8')): Set<string> {
  const section = /^## Configuration\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
  const names = new Set<string>();
  for (const row of section.split('\n').filter((line) => line.startsWith('| `'))) {
    const first = row.split('|')[1];
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_<>]*)`/g)) {
      if (m[1].includes('<NAME>')) for (const pool of POOL_NAMES) names.add(m[1].replace('<NAME>', pool.toUpperCase()));
      else names.add(m[1]);
    }
  }
  return names;
}

/** Top-level comma-separated arguments of a call (commas inside parentheses or templates kept). */
function splitArgs(text: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let inTemplate = false;
  let current = '';
  for (const ch of text) {
    if (ch === '`') inTemplate = !inTemplate;
    if (!inTemplate && (ch === '(' || ch === '[' || ch === '{')) depth++;
    if (!inTemplate && (ch === ')' || ch === ']' || ch === '}')) depth--;
    if (ch === ',' && depth === 0 && !inTemplate) {
      args.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) args.push(current.trim());
  return args;
}
