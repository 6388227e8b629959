/**
 * What the kernel says about a process: CPU time (utime + stime from /proc/<pid>/stat,
 * steadier than wall time on a shared machine) and peak resident memory (VmHWM from
 * /proc/<pid>/status). Linux only; elsewhere every reading is undefined.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { median } from './stats';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU milliseconds the process (all its threads) has used so far, user plus system. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing ')' do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) / clockTicks()) * 1000;
  } catch {
    return undefined;
  }
}

function statusField(pid: number, field: string): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    return line ? Number(line.split(/\s+/)[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Peak resident set size in MiB since the process started (or since resetPeakRss). */
export function peakRssMiB(pid: number): number | undefined {
  const kb = statusField(pid, 'VmHWM');
  return kb === undefined ? undefined : kb / 1024;
}

export function rssMiB(pid: number): number | undefined {
  const kb = statusField(pid, 'VmRSS');
  return kb === undefined ? undefined : kb / 1024;
}

/** Resets VmHWM to the current RSS (writing 5 to clear_refs); false when not allowed. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU readings of several named processes, to subtract a later snapshot from. */
export type CpuSnapshot = Record<string, number | undefined>;

export function cpuSnapshot(pids: Readonly<Record<string, number>>): CpuSnapshot {
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)]));
}

/** CPU milliseconds each process used between two snapshots (undefined if unreadable). */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  return Object.fromEntries(
    Object.keys(before).map((name) => {
      const a = before[name];
      const b = after[name];
      return [name, a === undefined || b === undefined ? undefined : b - a];
    }),
  );
}

/** CPU per unit of work (a chain, an image, a comment) by process, over one or more rounds. */
export class CpuPerUnit {
  private readonly byProcess = new Map<string, number[]>();

  /** One round: each process's CPU milliseconds (a cpuDelta), over the units that round did. */
  add(delta: CpuSnapshot, units: number): void {
    for (const [name, ms] of Object.entries(delta)) {
      if (ms === undefined) continue;
      const values = this.byProcess.get(name) ?? [];
      values.push(ms / units);
      this.byProcess.set(name, values);
    }
  }

  /** Each process's median, largest first, leaving out those under `minMs`: "api 6.7 ms, …". */
  describe(minMs: number, digits: number): string {
    return [...this.byProcess]
      .map(([name, values]) => ({ name, ms: median(values) }))
      .filter((p) => p.ms >= minMs)
      .sort((a, b) => b.ms - a.ms)
      .map((p) => `${p.name} ${p.ms.toFixed(digits)} ms`)
      .join(', ');
  }
}
