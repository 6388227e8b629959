/** Every workflow type the orchestrator pool registers. */
export { canvas } from './canvas';
export { concurrencyCoordinator } from './concurrency';
export { debouncer } from './debounce';
export { arithmeticDemo } from './examples';
// The application's workflows (their activities and routes are in src/app/<feature>/).
export { commentPosted } from './app/comments';
export { avatarUploaded } from './app/avatars';
export { digest } from './app/digest';
export { bulkOperation } from './bulk-operation';
// Workflow interceptors, found by the SDK under this name: every run records its final state.
export { interceptors } from './final-state';
