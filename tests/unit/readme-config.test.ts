/**
 * The README's configuration table lists every environment variable the code reads,
 * wherever it reads it (src/ and the provision scripts), and nothing the code does not read.
 */
import { envReads, readmeConfigTable } from '../support/env-reads';
import { POOL_NAMES } from '../../src/workflows/tasks/pools';

const reads = envReads();
const table = readmeConfigTable();

test('the scan finds reads in config.ts and elsewhere (so an empty result cannot pass)', () => {
  for (const name of [
    'TEMPORAL_ADDRESS',
    'MONGODB_URI',
    'TRUST_PROXY',
    'LOG_LEVEL',
    'TEMPORAL_TLS_CLIENT_CERT_PATH',
    'TEMPORAL_TLS_CERT_PATH',
    'FERRETDB_PATH',
    ...POOL_NAMES.map((p) => `POOL_${p.toUpperCase()}_CONCURRENCY`),
  ]) {
    expect([name, reads.has(name)]).toEqual([name, true]);
  }
  expect(reads.get('TRUST_PROXY')).toEqual(new Set(['src/config.ts']));
  expect(table.size).toBeGreaterThan(40);
});

test('every variable the code reads is in the README table', () => {
  const missing = [...reads.keys()].filter((name) => !table.has(name)).map((name) => `${name} (read in ${[...reads.get(name)!].join(', ')})`);
  expect(missing.sort()).toEqual([]);
});

test('every variable in the README table is read by the code', () => {
  expect([...table].filter((name) => !reads.has(name)).sort()).toEqual([]);
});
