/**
 * The protocol registration table (name → definition), as the encoders have theirs. Adding a protocol
 * is writing its module under src/protocol/protocols/ and listing it here; task files name it in
 * `protocol`, and everything else reads the definition.
 */
import { UserError } from '../util/errors.js';
import type { MetricSpec, ProtocolDefinition, ProtocolTask } from './definition.js';
import type { ProtocolSettings } from './settings.js';
import { innerKFold } from './protocols/inner-kfold.js';
import { kfold } from './protocols/kfold.js';
import { split } from './protocols/split.js';
import { relatedness } from './protocols/relatedness.js';
import { unsupervisedSts } from './protocols/unsupervised-sts.js';
import { unsupervisedStsSplits } from './protocols/unsupervised-sts-splits.js';

const PROTOCOLS = new Map<string, ProtocolDefinition>();

/** Adds a protocol; a name can be registered once. */
export function registerProtocol(def: ProtocolDefinition): void {
  if (PROTOCOLS.has(def.name)) throw new Error(`protocol '${def.name}' is already registered`);
  PROTOCOLS.set(def.name, def);
}

for (const def of [innerKFold, kfold, split, relatedness, unsupervisedSts, unsupervisedStsSplits]) registerProtocol(def);

export function protocolNames(): string[] {
  return [...PROTOCOLS.keys()];
}

export function findProtocol(name: string): ProtocolDefinition | undefined {
  return PROTOCOLS.get(name);
}

/** The definition of a registered protocol; an unknown name is a user's mistake (a task file, a results file). */
export function protocolDefinition(name: string): ProtocolDefinition {
  const def = PROTOCOLS.get(name);
  if (!def) throw new UserError(`unknown protocol '${name}': expected one of ${protocolNames().join(', ')}`);
  return def;
}

/**
 * The metrics a task gets from its protocol: the protocol's, with optional ones only when the task
 * asks for them, and (given settings) only those those settings produce.
 */
export function taskMetrics(task: ProtocolTask, settings?: ProtocolSettings): MetricSpec[] {
  return protocolDefinition(task.protocol)
    .metrics(task)
    .filter((m) => (!m.optional || task.extraMetrics?.includes(m.key)) && (!settings || !m.when || m.when(settings)));
}

/** Is `key` one of several sets' values for this protocol (kept out of one-line summaries)? */
export function isPerSetMetric(task: ProtocolTask, key: string): boolean {
  return (
    findProtocol(task.protocol)
      ?.metrics(task)
      .some((m) => m.key === key && m.perSet === true) ?? false
  );
}
