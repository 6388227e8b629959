/** The results: one JSON file, one Markdown table (also printed), under bench/results/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Fingerprint } from './fingerprint';
import { round, spread, type Spread } from './stats';

export interface Figure {
  label: string;
  unit: string;
  /** One value per round (or one in all, for a figure measured once). */
  values: number[];
  summary: Spread;
  /** A ratio that goes into the headline table. */
  headline: boolean;
}

export interface ScenarioResult {
  id: string;
  title: string;
  status: 'ok' | 'skipped' | 'failed';
  /** Why it was skipped or failed. */
  reason?: string;
  notes: string[];
  /** Where a time cap stopped it short of the issue's count. */
  shortfalls: string[];
  figures: Figure[];
  seconds: number;
  /** Side-by-side rows against another system (scenario h: Celery). */
  comparison?: ComparisonRow[];
  /** The goals this scenario judges (README, Performance). */
  goals?: GoalResult[];
}

/** One of the bench's goals: a ratio measured in this run against its target. */
export interface GoalResult {
  label: string;
  /** The median over rounds. */
  ratio: number;
  /** The target, e.g. '≤ 3×'. */
  target: string;
  met: boolean;
  /** Where the time went: CPU per unit by process (what a miss is to be acted on with). */
  cpu?: string;
}

export interface GoalTarget {
  text: string;
  test: (ratio: number) => boolean;
}

/** One workload on both systems, each the median over rounds, and their per-round ratio. */
export interface ComparisonRow {
  workload: string;
  /** What ran on Orchestra's side when it is not the same shape (e.g. a map for want of `chunks`). */
  orchestraShape: string;
  unit: string;
  orchestra: number;
  other: number;
  /** Orchestra ÷ the other, per round. */
  ratio: Spread;
  /** The issue's goal for the ratio, e.g. '≤ 3×'; met when the median ratio satisfies it. */
  goal?: { text: string; met: boolean };
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  totalSeconds: number;
  mode: 'default' | 'quick' | 'issue counts';
  target: string;
  fingerprint: Fingerprint;
  /** Where the run did less than the issue's list, to fit about five minutes. */
  reductions: string[];
  scenarios: ScenarioResult[];
}

export function figure(label: string, unit: string, values: readonly number[], headline = false): Figure {
  return { label, unit, values: values.map((v) => round(v, 4)), summary: spread(values), headline };
}

/** A scenario's result being assembled. */
export class ScenarioBuilder {
  readonly figures: Figure[] = [];
  readonly notes: string[] = [];
  readonly shortfalls: string[] = [];
  private readonly started = performance.now();

  constructor(
    readonly id: string,
    readonly title: string,
  ) {}

  add(label: string, unit: string, values: readonly number[], headline = false): void {
    this.figures.push(figure(label, unit, values, headline));
  }

  note(text: string): void {
    this.notes.push(text);
  }

  /** Records how much of the issue's count of something ran (a time cap may stop it short). */
  ran(what: string, done: number, asked: number): void {
    this.note(`${what}: ${done.toLocaleString('en-US')}${done < asked ? ` of the issue's ${asked.toLocaleString('en-US')} (time cap)` : ''}`);
    if (done < asked) this.shortfalls.push(`(${this.id}) ${what}: ${done.toLocaleString('en-US')} instead of ${asked.toLocaleString('en-US')}`);
  }

  readonly comparison: ComparisonRow[] = [];
  readonly goals: GoalResult[] = [];

  /** A headline ratio judged against its target; `cpu` says where the time went. */
  goal(label: string, values: readonly number[], target: GoalTarget, cpu?: string): void {
    this.add(`${label} (goal ${target.text})`, '×', values, true);
    const ratio = spread(values).median;
    this.goals.push({ label, ratio: round(ratio, 3), target: target.text, met: target.test(ratio), ...(cpu ? { cpu } : {}) });
  }

  done(): ScenarioResult {
    const comparison = this.comparison.length ? { comparison: this.comparison } : {};
    const goals = this.goals.length ? { goals: this.goals } : {};
    return {
      id: this.id,
      title: this.title,
      status: 'ok',
      notes: this.notes,
      shortfalls: this.shortfalls,
      figures: this.figures,
      seconds: this.elapsed(),
      ...comparison,
      ...goals,
    };
  }

  skipped(reason: string): ScenarioResult {
    return {
      id: this.id,
      title: this.title,
      status: 'skipped',
      reason,
      notes: this.notes,
      shortfalls: this.shortfalls,
      figures: this.figures,
      seconds: this.elapsed(),
    };
  }

  failed(reason: string): ScenarioResult {
    return {
      id: this.id,
      title: this.title,
      status: 'failed',
      reason,
      notes: this.notes,
      shortfalls: this.shortfalls,
      figures: this.figures,
      seconds: this.elapsed(),
    };
  }

  private elapsed(): number {
    return round((performance.now() - this.started) / 1000, 3);
  }
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const r = round(value, 3);
  return Math.abs(r) >= 1000 ? Math.round(r).toLocaleString('en-US') : String(r);
}

function cell(f: Figure): [string, string] {
  const s = f.summary;
  const range = s.n > 1 ? `${fmt(s.min)}–${fmt(s.max)}` : '';
  return [fmt(s.median), range];
}

export function toMarkdown(report: BenchReport): string {
  const fp = report.fingerprint;
  const lines: string[] = [];
  lines.push(`# Orchestra benchmark, ${report.startedAt} (${report.mode})`);
  lines.push('');
  lines.push(
    `${fp.cpuModel}, ${fp.cores} cores; Node ${fp.node}; Temporal TypeScript SDK ${fp.sdk}; ${fp.cli}; load average ${fp.loadBefore.join(' ')} before, ${fp.loadAfter.join(' ')} after; ${report.target}; ${report.totalSeconds} s in all.`,
  );
  lines.push('');
  lines.push(
    'Each figure is the median over rounds, with the spread (min–max) of the rounds; a ratio is computed per round from two things measured in that round, interleaved.',
  );
  lines.push('');
  const goals = report.scenarios.flatMap((s) => (s.goals ?? []).map((g) => ({ scenario: s.id, ...g })));
  if (goals.length) {
    lines.push(`## Goals, on ${report.target}`);
    lines.push('');
    lines.push('| scenario | ratio | measured | goal | | CPU per unit by process (medians) |');
    lines.push('| --- | --- | ---: | --- | --- | --- |');
    for (const g of goals) lines.push(`| ${g.scenario} | ${g.label} | ${fmt(g.ratio)}× | ${g.target} | ${g.met ? 'met' : '**missed**'} | ${g.cpu ?? ''} |`);
    lines.push('');
  }
  lines.push('## Headline ratios');
  lines.push('');
  lines.push('| scenario | ratio | median | spread | rounds |');
  lines.push('| --- | --- | ---: | ---: | ---: |');
  for (const s of report.scenarios) {
    for (const f of s.figures.filter((x) => x.headline)) {
      const [m, r] = cell(f);
      lines.push(`| ${s.id} | ${f.label} | ${m}${f.unit === '×' ? '×' : ` ${f.unit}`} | ${r} | ${f.summary.n} |`);
    }
  }
  lines.push('');
  for (const s of report.scenarios.filter((x) => x.comparison?.length)) {
    lines.push(`## Orchestra ÷ Celery (scenario ${s.id}, measured in this run)`);
    lines.push('');
    lines.push('| workload | Orchestra | Celery | unit | Orchestra ÷ Celery | spread | goal |');
    lines.push('| --- | ---: | ---: | --- | ---: | ---: | --- |');
    for (const row of s.comparison ?? []) {
      const shape = row.orchestraShape ? ` (Orchestra: ${row.orchestraShape})` : '';
      const spreadText = row.ratio.n > 1 ? `${fmt(row.ratio.min)}–${fmt(row.ratio.max)}` : '';
      const goal = row.goal ? `${row.goal.text} ${row.goal.met ? 'met' : 'missed'}` : '';
      lines.push(`| ${row.workload}${shape} | ${fmt(row.orchestra)} | ${fmt(row.other)} | ${row.unit} | ${fmt(row.ratio.median)}× | ${spreadText} | ${goal} |`);
    }
    lines.push('');
  }
  lines.push('## Every figure');
  lines.push('');
  lines.push('| scenario | figure | median | spread | unit | rounds |');
  lines.push('| --- | --- | ---: | ---: | --- | ---: |');
  for (const s of report.scenarios) {
    if (s.status !== 'ok') {
      lines.push(`| ${s.id} | ${s.status}: ${s.reason ?? ''} | | | | |`);
    }
    for (const f of s.figures) {
      const [m, r] = cell(f);
      lines.push(`| ${s.id} | ${f.label} | ${m} | ${r} | ${f.unit} | ${f.summary.n} |`);
    }
  }
  lines.push('');
  lines.push('## Scenarios');
  lines.push('');
  for (const s of report.scenarios) {
    lines.push(`- **${s.id}** ${s.title} (${s.seconds} s)${s.status === 'ok' ? '' : ` — ${s.status}: ${s.reason}`}`);
    for (const n of s.notes) lines.push(`  - ${n}`);
  }
  if (report.reductions.length) {
    lines.push('');
    lines.push("## Reduced from the issue's counts to fit about five minutes");
    lines.push('');
    for (const r of report.reductions) lines.push(`- ${r}`);
  }
  lines.push('');
  return lines.join('\n');
}

/** Writes <stamp>.json and <stamp>.md; returns their paths. */
export function writeReport(report: BenchReport, dir: string, stamp: string): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, `${stamp}.json`);
  const markdown = path.join(dir, `${stamp}.md`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, toMarkdown(report));
  return { json, markdown };
}
