/**
 * Summarizes V8 CPU profiles (`node --cpu-prof` writes them): the functions with the most
 * self time, and where the time goes by area (a package under node_modules, a file of the
 * project, Node's internals, GC, idle).
 *
 *   npx tsx bench/profile-summary.ts <file.cpuprofile | folder> [--top 20]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
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
  wallMs: number;
  busyMs: number;
  top: Hotspot[];
  areas: Array<{ area: string; selfMs: number; share: number }>;
}

/** Which part of the stack a frame belongs to. */
function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const file = url.replace(/^file:\/\//, '');
  return file.startsWith(projectRoot) ? path.relative(projectRoot, file) : file;
}

function where(frame: CallFrame): string {
  if (!frame.url) return '';
  const file = frame.url.replace(/^file:\/\//, '');
  const nm = file.lastIndexOf('node_modules/');
  const short = nm >= 0 ? file.slice(nm + 'node_modules/'.length) : file.startsWith(projectRoot) ? path.relative(projectRoot, file) : file;
  return `${short}:${frame.lineNumber + 1}`;
}

export function summarize(file: string, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
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
    wallMs: (profile.endTime - profile.startTime) / 1000,
    busyMs,
    top: ranked,
    areas: [...areas].map(([area, selfMs]) => ({ area, selfMs, share: selfMs / busyMs })).sort((a, b) => b.selfMs - a.selfMs).slice(0, 12),
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

export function formatSummary(s: ProfileSummary, label = s.file): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    `### ${label}`,
    '',
    `${(s.wallMs / 1000).toFixed(1)} s profiled, ${(s.busyMs / 1000).toFixed(1)} s busy (not idle).`,
    '',
    '| area | self time | share of busy |',
    '| --- | ---: | ---: |',
    ...s.areas.map((a) => `| ${a.area} | ${a.selfMs.toFixed(0)} ms | ${pct(a.share)} |`),
    '',
    '| function | where | self time | share of busy |',
    '| --- | --- | ---: | ---: |',
    ...s.top.map((h) => `| ${h.name} | ${h.where} | ${h.selfMs.toFixed(0)} ms | ${pct(h.share)} |`),
    '',
  ];
  return lines.join('\n');
}

function main(argv: string[]): void {
  const topIndex = argv.indexOf('--top');
  const top = topIndex >= 0 ? Number(argv[topIndex + 1]) : 20;
  const targets = argv.filter((_, i) => topIndex < 0 || (i !== topIndex && i !== topIndex + 1));
  if (targets.length === 0) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile | folder>... [--top 20]');
  for (const file of targets.flatMap(profileFiles)) console.log(formatSummary(summarize(file, top)));
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
