/**
 * Makes `_id` lookups on the embedded database (FerretDB 1.24, SQLite backend) use an index.
 *
 * FerretDB pushes a filter down to SQLite only when it is exactly `{ _id: <string|ObjectId> }`,
 * and then as `WHERE _ferretdb_sjson->'$._id' = ?`. The unique index FerretDB itself builds is
 * on `_ferretdb_sjson->"_id"`, an expression SQLite does not consider the same, so every
 * lookup by id scans its table (measured: 394 ms at 100,000 small documents). One extra
 * SQLite index on the exact pushed-down expression turns that into a B-tree search (6 ms,
 * flat). FerretDB ignores indexes it does not know of, and dropping a collection drops its
 * table with them.
 *
 * It needs the `sqlite3` command-line shell and the database file: `<ORCHESTRA_DATA_DIR>/
 * ferretdb/<database>.sqlite`, where `npm start`, the tests and the bench keep it. On MongoDB,
 * or without either, it does nothing (and says so once when the shell is missing).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import { logger } from '../logging';

const run = promisify(execFile);

/** The SQLite file of the connected database when it is FerretDB's embedded backend, else undefined. */
export async function embeddedDatabaseFile(dataDir: string): Promise<string | undefined> {
  const db = mongoose.connection.db;
  if (!db) return undefined;
  const info = (await db.admin().command({ buildInfo: 1 })) as { ferretdbVersion?: string };
  if (!info.ferretdbVersion) return undefined;
  const file = path.join(dataDir, 'ferretdb', `${db.databaseName}.sqlite`);
  return existsSync(file) ? file : undefined;
}

/** The SQL that gives each FerretDB table an index on the pushed-down `_id` expression. */
export function idIndexStatements(tables: string[]): string[] {
  return tables.map((table) => {
    const quoted = `"${table.replace(/"/g, '""')}"`;
    const index = `"${`${table}__id_lookup`.replace(/"/g, '""')}"`;
    return `CREATE INDEX IF NOT EXISTS ${index} ON ${quoted} (_ferretdb_sjson->'$._id');`;
  });
}

/**
 * Adds the index to every collection of the database (call after the collections exist).
 * Returns how many tables it covered; 0 when not on the embedded backend.
 */
export async function ensureEmbeddedIdIndexes(dataDir: string): Promise<number> {
  const file = await embeddedDatabaseFile(dataDir);
  if (!file) return 0;
  try {
    const { stdout } = await run('sqlite3', ['-readonly', file, 'SELECT table_name FROM _ferretdb_collections;']);
    const tables = stdout
      .split('\n')
      .map((t) => t.trim())
      .filter(Boolean);
    if (tables.length === 0) return 0;
    // .timeout: FerretDB may be writing; wait for its lock rather than fail.
    await run('sqlite3', [file, '.timeout 10000', ...idIndexStatements(tables)]);
    return tables.length;
  } catch (error) {
    const missing = (error as { code?: string }).code === 'ENOENT';
    logger().warn(
      { file, error: missing ? 'the sqlite3 shell is not on PATH' : (error as Error).message },
      'could not index _id lookups on the embedded database: reads by id will scan their collection (install sqlite3)',
    );
    return 0;
  }
}
