/**
 * How the API starts the domain's workflows: on the orchestrator's queue, under an id
 * derived from the comment or upload, so a retried request finds the run it started
 * instead of starting a second one.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { TypedSearchAttributes, WorkflowIdReusePolicy } from '@temporalio/common';
import { WORKFLOW_TASK_QUEUE } from '../tasks/pools';
import { TasksKey, WorkflowKindKey } from '../temporal/search-attributes';
import type { AvatarUpload } from '../workflows/domain/avatar-uploaded';

export interface Started {
  workflowId: string;
  /** True when a run under this id was already going (or, for comments, already done). */
  existing: boolean;
}

async function start(client: Client, type: string, workflowId: string, args: unknown[], tasks: string[], reuse: WorkflowIdReusePolicy): Promise<Started> {
  try {
    await client.workflow.start(type, {
      taskQueue: WORKFLOW_TASK_QUEUE,
      workflowId,
      args,
      workflowIdReusePolicy: reuse,
      typedSearchAttributes: new TypedSearchAttributes([
        { key: WorkflowKindKey, value: type },
        { key: TasksKey, value: tasks },
      ]),
    });
    return { workflowId, existing: false };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, existing: true };
    throw error;
  }
}

/** One run per comment; a new one only if the last failed (so a retry can repair it). */
export function startCommentPosted(client: Client, workflowId: string, commentId: string): Promise<Started> {
  return start(client, 'commentPosted', workflowId, [commentId], ['spam.detect', 'comments.publish', 'comments.markSpam', 'email.send', 'comments.recordOutcome'], WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY);
}

/**
 * One run at a time per upload. The same bytes uploaded again after it finished run
 * again (cheaply, overwriting the same thumbnails): that is how A, then B, then A
 * again ends with A.
 */
export function startAvatarUploaded(client: Client, workflowId: string, upload: AvatarUpload): Promise<Started> {
  return start(client, 'avatarUploaded', workflowId, [upload], ['media.thumbnail', 'users.setAvatar'], WorkflowIdReusePolicy.ALLOW_DUPLICATE);
}
