/**
 * The code workflows a schedule may start by name (`{"workflow": "digest", "args": []}`).
 * An explicit list, not whatever src/workflows exports: the API must not load workflow
 * code, and a name missing here is a 400 rather than a run that no worker can pick up.
 * A unit test checks that every entry is exported by src/workflows/index.ts.
 */
import { z } from 'zod';
import type { Json } from '../workflows/language/types';
import type { TaskName } from '../workflows/tasks/catalog';
import { WORKFLOW_TYPES, type WorkflowType } from '../workflows/workflow-types';

export interface CodeWorkflow {
  /** The workflow type, as exported from src/workflows/index.ts. */
  name: WorkflowType;
  description: string;
  /** The positional arguments it takes, checked before a schedule is saved. */
  args: z.ZodType<Json[]>;
  /** Tasks it runs, for the OrchestraTasks search attribute of the runs it starts. */
  tasks: TaskName[];
}

const num = z.number().finite();

export const CODE_WORKFLOWS: readonly CodeWorkflow[] = [
  {
    name: WORKFLOW_TYPES.digest,
    description: 'One email per user with the mentions since their last digest (src/workflows/app/digest.ts).',
    args: z.array(z.json()).max(0, { message: 'takes no arguments' }),
    tasks: ['digest.plan', 'email.send', 'users.markDigested'],
  },
  {
    name: WORKFLOW_TYPES.arithmeticDemo,
    description: '(x + y) * factor, then squares: the canvas builders demo (src/workflows/examples.ts).',
    args: z.array(num).max(3, { message: 'takes at most 3 numbers: x, y, factor' }),
    tasks: ['add', 'mul'],
  },
];

export function getCodeWorkflow(name: string): CodeWorkflow | undefined {
  return CODE_WORKFLOWS.find((w) => w.name === name);
}
