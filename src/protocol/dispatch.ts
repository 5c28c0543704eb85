/**
 * From a task to its protocol's run: the registry's definition does the work. Kept as the one entry
 * point the run (src/evaluate/run-task.ts) and tests call.
 */
import type { ProbeBackend } from './backend.js';
import type { ProgressFn, ProtocolOutcome, ProtocolTask, TaskFeatures } from './definition.js';
import { protocolDefinition } from './registry.js';
import type { ProtocolSettings } from './settings.js';

export type { FitChoice, ProtocolOutcome, SplitPredictions, TaskFeatures } from './definition.js';

export async function runProtocol(
  task: ProtocolTask,
  features: TaskFeatures,
  settings: ProtocolSettings,
  seed: number,
  onProgress?: ProgressFn,
  opts: { readonly probabilities?: boolean; readonly backend?: ProbeBackend } = {},
): Promise<ProtocolOutcome> {
  return protocolDefinition(task.protocol).run({
    task,
    features,
    settings,
    seed,
    ...(onProgress ? { onProgress } : {}),
    ...(opts.probabilities ? { probabilities: true } : {}),
    ...(opts.backend ? { backend: opts.backend } : {}),
  });
}
