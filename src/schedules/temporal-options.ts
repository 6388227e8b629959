/** A schedule definition as Temporal's ScheduleOptions (create) and ScheduleUpdateOptions (update). */
import type { ScheduleOptions, ScheduleUpdateOptions } from '@temporalio/client';
import { durationMs } from '../workflows/language/duration';
import { toTemporalAction } from './action';
import { definitionHash, type ScheduleDefinition, type SchedulePolicies } from './definition';
import { runMemo, type ScheduleOwner } from './memo';
import { toTemporalSpec } from './spec';

export function toScheduleOptions(definition: ScheduleDefinition, owner: ScheduleOwner): ScheduleOptions {
  return {
    scheduleId: definition.id,
    ...toScheduleUpdate(definition, owner),
    state: definition.state,
    memo: { ...definition.memo, createdBy: owner.createdBy, tenant: owner.tenant },
  };
}

/** Everything an update replaces but the state, which stays as it is (paused by hand, say). */
export function toScheduleUpdate(definition: ScheduleDefinition, { createdBy, tenant }: ScheduleOwner): Omit<ScheduleUpdateOptions, 'state'> {
  const memo = runMemo({ scheduleId: definition.id, createdBy, memo: definition.memo, own: { hash: definitionHash(definition), spec: definition.spec } });
  return {
    spec: toTemporalSpec(definition.spec),
    action: toTemporalAction(definition.action, { scheduleId: definition.id, memo, tenant }),
    policies: toTemporalPolicies(definition.policies),
  };
}

export function toTemporalPolicies(policies: SchedulePolicies = {}): NonNullable<ScheduleOptions['policies']> {
  return {
    overlap: policies.overlap ?? 'SKIP',
    catchupWindow: policies.catchupWindow === undefined ? undefined : durationMs(policies.catchupWindow),
    pauseOnFailure: policies.pauseOnFailure ?? false,
  };
}
