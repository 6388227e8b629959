/** Port checks with a message a person can act on. */
import { portIsFree } from '../devservices/processes';

/** Undefined when free; otherwise which service wanted it and the variable that moves it. */
export async function freePortOrExplain(port: number, what: string, envVar: string): Promise<string | undefined> {
  if (await portIsFree(port)) return undefined;
  return `port ${port} for ${what} is taken: stop what listens there, or set ${envVar} to another port`;
}
