/**
 * Summarizes V8 CPU profiles (`node --cpu-prof` writes them): the functions with the most
 * self time, and where the time goes by area (a package under node_modules, a file of the
 * project, Node's internals, GC). Frames inside a Temporal workflow bundle are attributed
 * to the module they were bundled from (webpack marks each one). A window (wall-clock)
 * leaves out start-up and shutdown.
 *
 *   npx tsx bench/profile-summary.ts <file.cpuprofile | folder> [--top 20] [--from <ISO time>] [--to <ISO time>] [--bundle <file>]
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../src/config';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Hotspot {
  name: string;
  where: string;
  area: string;
  selfMs: number;
  /** Share of the busy (non-idle) time. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  /** Milliseconds of the profile summarized (the window, or all of it). */
  wallMs: number;
  busyMs: number;
  top: Hotspot[];
  areas: Array<{ area: string; selfMs: number; share: number }>;
}

/** A package name or project path for a module path. */
function packageOf(modulePath: string): string {
  const nm = modulePath.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = modulePath.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const file = modulePath.replace(/^file:\/\//, '').replace(/^\.\//, '');
  return file.startsWith(projectRoot) ? path.relative(projectRoot, file) : file;
}

/** Bundle files to read instead of the ones a profile names (they may be gone): by base name. */
const bundleOverrides = new Map<string, string>();

/** Reads workflow bundle frames from `file` (for a profile whose bundle was in a removed temporary folder). */
export function useBundle(file: string): void {
  bundleOverrides.set(path.basename(file), file);
}

/** Module boundaries of a webpack bundle: the line of each module marker (three stars, then "./path"), ascending. */
const bundles = new Map<string, Array<{ line: number; module: string }> | null>();

function bundleModules(url: string): Array<{ line: number; module: string }> | null {
  if (!bundles.has(url)) {
    const named = url.replace(/^file:\/\//, '');
    const file = bundleOverrides.get(path.basename(named)) ?? named;
    let marks: Array<{ line: number; module: string }> | null = null;
    if (file.endsWith('.js') && existsSync(file)) {
      const found: Array<{ line: number; module: string }> = [];
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((text, i) => {
          const m = /^\/\*\*\*\/ "(.+)":/.exec(text) ?? /^\/\*\*\*\/ "(.+)"$/.exec(text);
          if (m) found.push({ line: i, module: m[1] });
        });
      marks = found.length ? found : null;
    }
    bundles.set(url, marks);
  }
  return bundles.get(url) ?? null;
}

/** Which part of the stack a frame belongs to; inside a workflow bundle, the bundled module's. */
function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const marks = bundleModules(url);
  if (marks) {
    let lo = 0;
    let hi = marks.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (marks[mid].line <= frame.lineNumber) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return `workflow bundle: ${found >= 0 ? packageOf(marks[found].module) : '(webpack runtime)'}`;
  }
  return packageOf(url);
}

function where(frame: CallFrame): string {
  if (!frame.url) return '';
  const file = frame.url.replace(/^file:\/\//, '');
  const nm = file.lastIndexOf('node_modules/');
  const short = nm >= 0 ? file.slice(nm + 'node_modules/'.length) : file.startsWith(projectRoot) ? path.relative(projectRoot, file) : file;
  return `${short}:${frame.lineNumber + 1}`;
}

/** When a profile started, from its file name (CPU.YYYYMMDD.HHMMSS.pid.tid.seq.cpuprofile, local time). */
function startedAt(file: string): number | undefined {
  const m = /CPU\.(\d{4})(\d{2})(\d{2})\.(\d{2})(\d{2})(\d{2})\./.exec(path.basename(file));
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  return new Date(y, mo - 1, d, h, mi, s).getTime();
}

/** Only samples between these wall-clock times (epoch ms) count. */
export interface Window {
  from: number;
  to: number;
}

export function summarize(file: string, top = 20, window?: Window): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const start = startedAt(file);
  let clockUs = 0;
  let windowUs = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    clockUs += delta;
    if (window && start !== undefined) {
      const at = start + clockUs / 1000;
      if (at < window.from || at > window.to) return;
    }
    windowUs += delta;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  const functions = new Map<string, Hotspot>();
  const areas = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    busyUs += us;
    const name = frame.functionName || '(anonymous)';
    const key = `${name}@${frame.url}:${frame.lineNumber}`;
    const entry = functions.get(key) ?? { name, where: where(frame), area: areaOf(frame), selfMs: 0, share: 0 };
    entry.selfMs += us / 1000;
    functions.set(key, entry);
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + us / 1000);
  }
  const busyMs = busyUs / 1000;
  const ranked = [...functions.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
  for (const h of ranked) h.share = h.selfMs / busyMs;
  return {
    file,
    wallMs: windowUs / 1000,
    busyMs,
    top: ranked,
    areas: [...areas]
      .map(([area, selfMs]) => ({ area, selfMs, share: selfMs / busyMs }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, 12),
  };
}

/** Every .cpuprofile under a path (a file, or a folder searched recursively). */
export function profileFiles(target: string): string[] {
  if (!statSync(target).isDirectory()) return [target];
  return readdirSync(target, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(target, e.name);
    if (e.isDirectory()) return profileFiles(full);
    return e.name.endsWith('.cpuprofile') ? [full] : [];
  });
}

/** Text safe in a Markdown table cell (a RegExp's source may hold pipes), and not too long. */
function cellText(text: string): string {
  const short = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return short.replace(/\|/g, '\\|');
}

export function formatSummary(s: ProfileSummary, label = s.file): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    `### ${label}`,
    '',
    `${(s.wallMs / 1000).toFixed(1)} s summarized, ${(s.busyMs / 1000).toFixed(1)} s of it busy (not idle).`,
    '',
    '| area | self time | share of busy |',
    '| --- | ---: | ---: |',
    ...s.areas.map((a) => `| ${a.area} | ${a.selfMs.toFixed(0)} ms | ${pct(a.share)} |`),
    '',
    '| function | where | self time | share of busy |',
    '| --- | --- | ---: | ---: |',
    ...s.top.map((h) => `| ${cellText(h.name)} | ${cellText(h.where)} | ${h.selfMs.toFixed(0)} ms | ${pct(h.share)} |`),
    '',
  ];
  return lines.join('\n');
}

function main(argv: string[]): void {
  const flags = new Map<string, string>();
  const targets: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) flags.set(argv[i], argv[++i]);
    else targets.push(argv[i]);
  }
  if (targets.length === 0)
    throw new Error(
      'usage: tsx bench/profile-summary.ts <file.cpuprofile | folder>... [--top 20] [--from <ISO time>] [--to <ISO time>] [--bundle <workflow-bundle.js>]',
    );
  const top = Number(flags.get('--top') ?? 20);
  const from = flags.get('--from');
  const to = flags.get('--to');
  const window = from || to ? { from: from ? Date.parse(from) : 0, to: to ? Date.parse(to) : Infinity } : undefined;
  const bundle = flags.get('--bundle');
  if (bundle) useBundle(bundle);
  for (const file of targets.flatMap(profileFiles)) console.log(formatSummary(summarize(file, top, window)));
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
