/** A logger for bundleWorkflowCode that keeps webpack's progress quiet and passes on problems. */
export const quietLogger = {
  log: (): void => undefined,
  trace: (): void => undefined,
  debug: (): void => undefined,
  info: (): void => undefined,
  warn: (message: string): void => console.warn(message),
  error: (message: string): void => console.error(message),
};
