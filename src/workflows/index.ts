/** Every workflow type the orchestrator pool registers. */
export { canvas } from './canvas';
export { concurrencyCoordinator } from './concurrency';
export { debouncer } from './debounce';
export { arithmeticDemo } from './examples';
// The application's workflows, each in its feature's folder (src/app/<feature>/workflow.ts).
export { commentPosted } from '../app/comments/workflow';
export { avatarUploaded } from '../app/avatars/workflow';
export { digest } from '../app/digest/workflow';
// Workflow interceptors, found by the SDK under this name: every run records its final state.
export { interceptors } from './final-state';
