/**
 * gensen-eval as a library: `import { evaluate, createEncoder, resolveTasks } from 'gensen-eval'`.
 * `evaluate` takes any object implementing `SentenceEncoder` (src/encoders/types.ts documents the
 * contract); `createEncoder` builds a registered one by name and options, as `--encoder` does.
 */
export { evaluate, protocolFingerprint, type EvaluateOptions } from './evaluate/run.js';
export { createEncoder, type EncoderOptions } from './encoders/factory.js';
export {
  encoderDefinition,
  encoderNames,
  encoderOptions,
  registerEncoder,
  resolveEncoderOptions,
  type EncoderContext,
  type EncoderDefinition,
  type EncoderOption,
  type EncoderOptionValues,
  type OptionValue,
} from './encoders/registry.js';
export type { EncoderIdentity, SentenceEncoder, TaskContext } from './encoders/types.js';
export { CommandEncoder, COMMAND_PROTOCOL, type CommandEncoderOptions } from './encoders/command/command-encoder.js';
export { HttpEncoder, type HttpEncoderOptions } from './encoders/http/http-encoder.js';
export { OnnxEncoder, type OnnxEncoderOptions } from './encoders/onnx/onnx-encoder.js';
export { VectorsEncoder, sentenceText } from './encoders/vectors/vectors-encoder.js';
export { collectSentences } from './cli/sentences.js';
export { listTasks, resolveTask, resolveTasks, type TaskDefinition } from './tasks/registry.js';
export { loadTask } from './tasks/load.js';
export { resolveDataDir } from './tasks/data-dir.js';
export { PRESETS, resolveSettings, type SettingsOverrides } from './protocol/settings.js';
export { FeatureCache } from './evaluate/feature-cache.js';
export { silentProgress, StderrProgress, type ProgressSink } from './evaluate/progress.js';
export { closeProbePool } from './protocol/index.js';
export { DEVICE_CHOICES, type DeviceChoice, type DeviceRecord } from './compute/device.js';
export { chooseAutoDevice, resolveDevice, type DeviceAvailability, type ResolvedDevice } from './compute/device-policy.js';
export { closeProbeBackend, probeBackendFor } from './protocol/probe-device.js';
export { findReader, readerNames, registerReader, type ReaderDefinition } from './tasks/readers.js';
export type { ProtocolSettings, RunResults, TaskResult } from './results/schema.js';
export type { Matrix } from './util/matrix.js';
export { UserError } from './util/errors.js';
