/** What the run and schedule routes share: the HTTP kit's context and the runs reader. */
import type { HttpContext } from '../http/context';
import type { PythonCatalog } from '../tasks/python-catalog';
import type { Runs } from './runs';

export interface AppContext extends HttpContext {
  runs: Runs;
  /** The Python pool's tasks; one that reads the database when not given. */
  pythonTasks?: PythonCatalog;
}
