/**
 * The layer rules of `npm run lint` (.dependency-cruiser.cjs) hold for src/, and they bite:
 * a small tree in a temporary folder, cruised with the same rules, where the sandbox
 * imports zod and the API, and the HTTP kit imports a feature.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const DEPCRUISE = path.join(ROOT, 'node_modules/.bin/depcruise');

/** The rule names that failed, from depcruise's JSON report; [] when it passes. */
function violations(cwd: string): string[] {
  const args = ['src', '--config', path.join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json'];
  let out: string;
  try {
    out = execFileSync(DEPCRUISE, args, { cwd, encoding: 'utf8' });
  } catch (error) {
    out = (error as { stdout: string }).stdout;
  }
  const report = JSON.parse(out) as { summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> } };
  // A package by its name: zod's entry file differs between versions.
  const named = (to: string) => to.replace(/^node_modules\/((@[^/]+\/)?[^/]+)\/.*$/, '$1');
  return report.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${named(v.to)}`).sort();
}

test('src/ keeps its layers and has no import cycle', () => {
  expect(violations(ROOT)).toEqual([]);
}, 60_000);

test('an import out of the sandbox, or up from the HTTP kit, fails the lint', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orchestra-layers-'));
  try {
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    };
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    write('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'commonjs', esModuleInterop: true, strict: true } }));
    write(
      'src/workflows/probe.ts',
      "import { z } from 'zod';\nimport { feature } from '../api/feature';\nimport type { Issue } from '../validation/issues';\nexport const probe = [z, feature] as unknown as Issue;\n",
    );
    write('src/workflows/fine.ts', "import { sleep } from '@temporalio/workflow';\nexport const fine = sleep;\n");
    write('src/api/feature.ts', 'export const feature = 1;\n');
    write('src/http/kit.ts', "import { feature } from '../api/feature';\nexport const kit = feature;\n");
    write('src/validation/issues.ts', 'export interface Issue { path: string }\n');
    expect(violations(dir)).toEqual([
      'http-kit-below-features: src/http/kit.ts -> src/api/feature.ts',
      'sandbox-below-all: src/workflows/probe.ts -> src/api/feature.ts',
      'sandbox-below-all: src/workflows/probe.ts -> src/validation/issues.ts',
      'sandbox-below-all: src/workflows/probe.ts -> zod',
      'sandbox-imports-only-itself: src/workflows/probe.ts -> src/api/feature.ts',
      'sandbox-imports-only-itself: src/workflows/probe.ts -> zod',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
