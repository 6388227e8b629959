/** Every workflow type the orchestrator pool registers. */
export { canvas } from './canvas';
export { arithmeticDemo } from './examples';
export { avatarUploaded, commentPosted, digest } from './domain';
