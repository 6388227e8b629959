/** Every workflow type the orchestrator pool registers. */
export { canvas } from './canvas';
