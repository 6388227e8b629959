/** Stops what globalSetup started: app processes first, then the servers. */
import type { TestStack } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as { __orchestraStack?: TestStack }).__orchestraStack;
  if (!stack) return;
  stack.control.close();
  const apps = [...stack.processes.values()].filter((p) => p.spec.name.startsWith('worker-') || p.spec.name === 'api');
  await Promise.all(apps.map((p) => p.stop(20_000)));
  await Promise.all([...stack.processes.values()].filter((p) => !apps.includes(p)).map((p) => p.stop(10_000)));
  await stack.env.teardown();
}
