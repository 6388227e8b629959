/** The custom search attributes the project registers on its namespace. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const WorkflowKindKey = defineSearchAttributeKey('OrchestraWorkflowKind', SearchAttributeType.KEYWORD);
export const TasksKey = defineSearchAttributeKey('OrchestraTasks', SearchAttributeType.KEYWORD_LIST);

/** As `temporal server start-dev --search-attribute NAME=TYPE` takes them. */
export const SEARCH_ATTRIBUTES: ReadonlyArray<{ name: string; type: 'Keyword' | 'KeywordList' }> = [
  { name: WorkflowKindKey.name, type: 'Keyword' },
  { name: TasksKey.name, type: 'KeywordList' },
];
