/**
 * How the API starts the domain's workflows: on the orchestrator's queue, under an id
 * derived from the comment or upload, so a retried request finds the run it started
 * instead of starting a second one.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { startWorkflow, type WorkflowStart } from '../temporal/start';
import { APP_TENANT } from '../workflows/tenants';
import type { WorkflowArgs } from '../workflows/signatures';
import { WORKFLOW_TYPES, type WorkflowType } from '../workflows/workflow-types';

export interface Started {
  workflowId: string;
  /** True when a run under this id was already going (or, for comments, already done). */
  existing: boolean;
}

/** Starts the run, or finds the one already going under its id. */
async function start<T extends WorkflowType>(client: Client, run: Omit<WorkflowStart<T>, 'tenant'>): Promise<Started> {
  const { workflowId } = run;
  try {
    // The application's own runs, whoever's request led to them.
    await startWorkflow(client, { ...run, tenant: APP_TENANT });
    return { workflowId, existing: false };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, existing: true };
    throw error;
  }
}

/** One run per comment; a new one only if the last failed (so a retry can repair it). */
export function startCommentPosted(client: Client, workflowId: string, commentId: string): Promise<Started> {
  return start(client, {
    type: WORKFLOW_TYPES.commentPosted,
    workflowId,
    args: [commentId],
    tasks: ['spam.detect', 'comments.publish', 'comments.markSpam', 'email.send', 'comments.recordOutcome'],
    reuse: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
  });
}

/**
 * One run at a time per upload. The same bytes uploaded again after it finished run
 * again (cheaply, overwriting the same thumbnails): that is how A, then B, then A
 * again ends with A.
 */
export function startAvatarUploaded(client: Client, workflowId: string, upload: WorkflowArgs<'avatarUploaded'>[0]): Promise<Started> {
  return start(client, {
    type: WORKFLOW_TYPES.avatarUploaded,
    workflowId,
    args: [upload],
    tasks: ['media.thumbnail', 'users.setAvatar'],
    reuse: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
}
