/** The custom search attributes the project registers on its namespace. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { WaitingForKey } from '../workflows/waiting-for';

/** The event names a run's wait nodes wait for right now (upserted by the workflow itself). */
export { WaitingForKey };

export const WorkflowKindKey = defineSearchAttributeKey('OrchestraWorkflowKind', SearchAttributeType.KEYWORD);
export const TasksKey = defineSearchAttributeKey('OrchestraTasks', SearchAttributeType.KEYWORD_LIST);
/** Who owns the run (./tenants.ts): the tenant of the key that started it. */
export const TenantKey = defineSearchAttributeKey('OrchestraTenant', SearchAttributeType.KEYWORD);
/** The caller's own labels for a run (a request's `tags`), e.g. `order:42`: what `GET /workflows?tag=` filters on. */
export const TagsKey = defineSearchAttributeKey('OrchestraTags', SearchAttributeType.KEYWORD_LIST);

/** Every one the project registers (the dev servers of `npm start` and of the tests). */
export const SEARCH_ATTRIBUTE_KEYS = [WorkflowKindKey, TasksKey, TenantKey, TagsKey, WaitingForKey] as const;

/** As `temporal server start-dev --search-attribute NAME=TYPE` takes them. */
export const SEARCH_ATTRIBUTES: ReadonlyArray<{ name: string; type: 'Keyword' | 'KeywordList' }> = SEARCH_ATTRIBUTE_KEYS.map((key) => ({
  name: key.name,
  type: key.type === SearchAttributeType.KEYWORD_LIST ? 'KeywordList' : 'Keyword',
}));
