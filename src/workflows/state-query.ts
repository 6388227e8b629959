/** The `state` query every Orchestra workflow answers with its live canvas tree. */
import { defineQuery } from '@temporalio/workflow';
import type { CanvasState } from './language/types';

export const stateQuery = defineQuery<CanvasState>('state');
