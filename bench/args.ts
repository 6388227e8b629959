/** The command line of `npm run bench`. */
/** In the order they run: (f) leaves sleeping runs behind, so it comes last. */
export const SCENARIO_IDS = ['a', 'b', 'c', 'd', 'e', 'g', 'h', 'i', 'f'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export interface BenchArgs {
  quick: boolean;
  /** The issue's counts exactly, however long they take. */
  issueCounts: boolean;
  /** A running API to measure instead of starting one. */
  url: string | undefined;
  /** Its Temporal frontend (with --url). */
  temporal: string;
  namespace: string;
  only: ScenarioId[];
  /** Processes to run under `node --cpu-prof` (api, worker-orchestrator, worker-default, ...). */
  profile: string[];
  temporalDb: 'tmpfs' | 'disk';
}

export const USAGE = `npm run bench [-- options]
  --quick                 a smoke run with small counts (about two minutes)
  --issue-counts          the issue's counts with no time caps (eight minutes or more on a busy 2-core machine)
  --url http://host:port  measure a running API instead of starting the system
  --temporal host:port    its Temporal frontend (default: TEMPORAL_ADDRESS or 127.0.0.1:7233)
  --namespace name        its namespace (default: TEMPORAL_NAMESPACE or default)
  --only a,b,...          run only these scenarios (${SCENARIO_IDS.join(', ')})
  --profile api,worker-orchestrator,...
                          run these processes under node --cpu-prof and summarize the profiles
  --temporal-db disk|tmpfs
                          where the dev server keeps its SQLite file: disk (default), as
                          \`npm start\` keeps it under data/; tmpfs (/dev/shm), a variant that
                          takes the disk out of what is measured`;

export function parseArgs(argv: string[]): BenchArgs {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value\n\n${USAGE}`);
    return v;
  };
  const known = new Set(['--quick', '--issue-counts', '--url', '--temporal', '--namespace', '--only', '--profile', '--temporal-db', '--help']);
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) continue;
    if (!known.has(argv[i])) throw new Error(`unknown option ${argv[i]}\n\n${USAGE}`);
  }
  if (argv.includes('--help')) {
    console.log(USAGE);
    process.exit(0);
  }
  const only = (value('--only') ?? SCENARIO_IDS.join(',')).split(',').map((s) => s.trim());
  const unknown = only.filter((id) => !(SCENARIO_IDS as readonly string[]).includes(id));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; they are ${SCENARIO_IDS.join(', ')}`);
  const temporalDb = value('--temporal-db') ?? 'disk';
  if (temporalDb !== 'tmpfs' && temporalDb !== 'disk') throw new Error('--temporal-db is tmpfs or disk');
  return {
    quick: argv.includes('--quick'),
    issueCounts: argv.includes('--issue-counts'),
    url: value('--url'),
    temporal: value('--temporal') ?? process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: value('--namespace') ?? process.env.TEMPORAL_NAMESPACE ?? 'default',
    only: only as ScenarioId[],
    profile: (value('--profile') ?? '').split(',').filter(Boolean),
    temporalDb,
  };
}
