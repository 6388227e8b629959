/** What machine and software a result came from, and how busy the machine was. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../src/config';

export interface Fingerprint {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  /** @temporalio/client's version. */
  sdk: string;
  /** `temporal --version`. */
  cli: string;
  /** 1, 5 and 15 minute load averages. */
  loadBefore: number[];
  loadAfter: number[];
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown CPU';
}

export function loadAverage(): number[] {
  return os.loadavg().map((x) => Math.round(x * 100) / 100);
}

export function fingerprint(temporalBinary: string | undefined): Fingerprint {
  const sdkPackage = JSON.parse(readFileSync(path.join(projectRoot, 'node_modules/@temporalio/client/package.json'), 'utf8')) as { version: string };
  let cli = 'temporal CLI unknown';
  if (temporalBinary) {
    try {
      cli = execFileSync(temporalBinary, ['--version'], { encoding: 'utf8' }).trim().split('\n')[0];
    } catch {
      // keep unknown
    }
  }
  return {
    cpuModel: cpuModel(),
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    sdk: sdkPackage.version,
    cli,
    loadBefore: loadAverage(),
    loadAfter: [],
  };
}

export function printFingerprint(fp: Fingerprint, log: (line: string) => void): void {
  log(`machine: ${fp.cpuModel}, ${fp.cores} cores, ${fp.memoryGiB} GiB; Node ${fp.node}; Temporal SDK ${fp.sdk}; ${fp.cli}`);
  log(`load average before: ${fp.loadBefore.join(' ')}`);
}
