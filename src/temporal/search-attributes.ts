/** The custom search attributes the project registers on its namespace. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const WorkflowKindKey = defineSearchAttributeKey('OrchestraWorkflowKind', SearchAttributeType.KEYWORD);
export const TasksKey = defineSearchAttributeKey('OrchestraTasks', SearchAttributeType.KEYWORD_LIST);
/** Who owns the run (./tenants.ts): the tenant of the key that started it. */
export const TenantKey = defineSearchAttributeKey('OrchestraTenant', SearchAttributeType.KEYWORD);

/** As `temporal server start-dev --search-attribute NAME=TYPE` takes them. */
export const SEARCH_ATTRIBUTES: ReadonlyArray<{ name: string; type: 'Keyword' | 'KeywordList' }> = [
  { name: WorkflowKindKey.name, type: 'Keyword' },
  { name: TasksKey.name, type: 'KeywordList' },
  { name: TenantKey.name, type: 'Keyword' },
];
