/**
 * deploy/prometheus/alerts.yml: loaded by the compose Prometheus, every rule well formed,
 * the metrics it reads are those the system exports (the SDK's, the API's, the server's),
 * every Node pool covered by the "no workers" alert; `promtool check rules` when available.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { NODE_POOL_NAMES } from '../../src/workflows/tasks/pools';

const root = path.resolve(__dirname, '..', '..');
const read = (rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const groups = (parse(read('deploy/prometheus/alerts.yml')) as { groups: Array<{ name: string; rules: Rule[] }> }).groups;
const rules = groups.flatMap((g) => g.rules);
const byName = new Map(rules.map((r) => [r.alert, r]));

test('prometheus.yml loads the rules file, and compose mounts it where prometheus.yml says', () => {
  const config = parse(read('deploy/prometheus/prometheus.yml')) as { rule_files?: string[] };
  expect(config.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
  expect(read('docker-compose.prod.yml')).toContain('./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro');
});

test('the issue’s alerts exist: failed-run rate, backlog age per pool, missing workers and pollers, schedule misses', () => {
  for (const name of ['OrchestraFailedRunRate', 'OrchestraBacklogAge', 'OrchestraPoolWithoutWorkers', 'OrchestraPollersMissing', 'OrchestraScheduleMissedRuns'])
    expect(byName.has(name)).toBe(true);
});

test.each(rules.map((r) => [r.alert ?? '?', r] as const))('%s is well formed', (_name, rule) => {
  expect(rule.alert).toMatch(/^Orchestra[A-Za-z]+$/);
  expect(rule.expr?.trim()).toBeTruthy();
  expect(['warning', 'critical']).toContain(rule.labels?.severity);
  expect(rule.annotations?.summary).toBeTruthy();
  if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smh]$/);
  // Balanced parentheses and braces: the cheapest PromQL check that catches a truncated edit.
  for (const [open, close] of ['()', '{}', '[]']) expect(rule.expr!.split(open).length).toBe(rule.expr!.split(close).length);
});

test('the metrics the rules read are ones the system exports or the dashboard already reads', () => {
  const dashboard = read('deploy/grafana/dashboards/orchestra.json');
  const apiMetrics = read('src/http/metrics.ts');
  const serverMetrics = ['approximate_backlog_age_seconds', 'schedule_missed_catchup_window', 'schedule_action_errors', 'up'];
  const names = new Set(rules.flatMap((r) => [...r.expr!.matchAll(/\b([a-z_]+)(?=\{)/g)].map((m) => m[1].replace(/_bucket$/, ''))));
  for (const name of names) {
    const known = dashboard.includes(name) || apiMetrics.includes(`'${name}'`) || serverMetrics.includes(name);
    expect({ name, known }).toEqual({ name, known: true });
  }
});

test('every Node pool is covered by the missing-workers alert', () => {
  const expr = byName.get('OrchestraPoolWithoutWorkers')!.expr!;
  for (const pool of NODE_POOL_NAMES) expect(expr).toContain(`pool="${pool}"`);
});

const promtool = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim();
(promtool ? test : test.skip)('promtool check rules accepts the file', () => {
  const run = spawnSync(promtool, ['check', 'rules', path.join(root, 'deploy/prometheus/alerts.yml')], { encoding: 'utf8' });
  expect(`${run.stdout}${run.stderr}`).toContain('SUCCESS');
  expect(run.status).toBe(0);
});
