/** Every workflow type the orchestrator pool registers. */
export { canvas } from './canvas';
export { arithmeticDemo } from './examples';
export { avatarUploaded, commentPosted, digest } from './domain';
// Workflow interceptors, found by the SDK under this name: every run records its final state.
export { interceptors } from './final-state';
