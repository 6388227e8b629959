/** What the run and schedule routes share: the HTTP kit's context and the runs reader. */
import type { HttpContext } from '../http/context';
import type { Runs } from './runs';

export interface AppContext extends HttpContext {
  runs: Runs;
}
