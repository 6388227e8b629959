/*
 * Loaded with --require at the start of each of the Temporal SDK's workflow threads when
 * per-promise stack traces are off (see ./workflow-stack-traces.ts). The SDK installs a
 * V8 promise hook there that captures and source-maps a stack trace for every promise
 * workflow code creates, only to answer the `__stack_trace` query; measured, it was about
 * half of the orchestrator's workflow-thread CPU. Without the hook the SDK runs as it does
 * where promise hooks do not exist (it reports stack traces as unavailable).
 */
'use strict';
try {
  const { globalHandlers } = require('@temporalio/worker/lib/workflow/vm-shared');
  if (globalHandlers && typeof globalHandlers.setPromiseHook === 'function' && !globalHandlers.installed) {
    globalHandlers.setPromiseHook = function skipPromiseHook() {};
  } else {
    process.emitWarning('orchestra: the SDK changed; workflow stack traces stay on', { code: 'ORCHESTRA_STACK_TRACES' });
  }
} catch (error) {
  process.emitWarning(`orchestra: could not turn workflow stack traces off: ${error.message}`, { code: 'ORCHESTRA_STACK_TRACES' });
}
