/**
 * Reading results files written by `evaluate` (any release): parse, validate what reports rely on,
 * and fill what older or partial files lack, so that every report sees one shape.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { metricKind } from '../protocol/metrics.js';
import { RESULTS_SCHEMA_VERSION } from './schema.js';
import type { DataFileChecksum, ProtocolSettings, RunDevices, RunEnvironment, RunResults, ShardInfo, TaskResult } from './schema.js';
import type { DeviceRecord } from '../compute/device.js';
import type { EncoderIdentity } from '../encoders/types.js';

export interface LoadedResults {
  /** The path as given (used to resolve prediction sidecars). */
  readonly path: string;
  readonly results: RunResults;
  /** What the reader had to assume (an old file without a field, a dropped null metric, ...). */
  readonly warnings: readonly string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kindOf(v: Json | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  // A short string or a number is shown as it is: 'found "tpu"' is what a user can fix.
  if ((typeof v === 'string' && v.length <= 40) || typeof v === 'number') return `a ${typeof v} (${JSON.stringify(v)})`;
  return `a ${typeof v}`;
}

/** Parses JSON and turns a syntax error into `file:line:col: ...` (positions are what users can act on). */
export function parseJsonFile(text: string, file: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const m = /position (\d+)/.exec(msg);
    let where = file;
    if (m) {
      const pos = Number(m[1]);
      const before = text.slice(0, pos);
      const line = before.split('\n').length;
      const col = pos - before.lastIndexOf('\n');
      where = `${file}:${line}:${col}`;
    }
    const reason = msg.replace(/\s*in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
    throw new UserError(`${where}: not valid JSON (${reason}); expected a results file written by 'gensen-eval evaluate'`);
  }
}

export function readJsonFile(file: string, what: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: cannot read ${what} (${code === 'ENOENT' ? 'no such file' : (code ?? String(e))})`);
  }
  return parseJsonFile(text, file);
}

class Reader {
  readonly warnings: string[] = [];
  constructor(readonly file: string) {}

  fail(field: string, expected: string, got: Json | undefined): never {
    throw new UserError(`${this.file}: field '${field}': expected ${expected}, found ${kindOf(got)}`);
  }
  obj(v: Json | undefined, field: string): { [k: string]: Json } {
    if (!isObject(v)) this.fail(field, 'an object', v);
    return v;
  }
  str(v: Json | undefined, field: string): string {
    if (typeof v !== 'string') this.fail(field, 'a string', v);
    return v;
  }
  num(v: Json | undefined, field: string): number {
    if (typeof v !== 'number') this.fail(field, 'a number', v);
    return v;
  }
  optNum(v: Json | undefined, field: string, dflt: number): number {
    if (v === undefined) return dflt;
    return this.num(v, field);
  }
  numRecord(v: Json | undefined, field: string): Record<string, number> {
    const o = this.obj(v, field);
    const out: Record<string, number> = {};
    for (const [k, x] of Object.entries(o)) {
      // evaluate writes null where a metric was NaN (JSON has no NaN): drop it, say so.
      if (x === null) {
        this.warnings.push(`${field}.${k} is null (not computed); ignored`);
        continue;
      }
      out[k] = this.metric(x, `${field}.${k}`, k);
    }
    return out;
  }
  /** A metric value: finite (JSON's 1e999 reads as Infinity) and inside its metric's range. */
  metric(v: Json | undefined, field: string, name: string): number {
    const x = this.num(v, field);
    const range = metricKind(name);
    if (!Number.isFinite(x) || (range && (x < range.min || x > range.max))) {
      const task = /^tasks\.([^.]+)\./.exec(field)?.[1];
      const where = task ? `task ${task}, metric '${name}' (field '${field}')` : `field '${field}'`;
      const expected = range ? `a number from ${range.min} to ${range.max} (${range.what})` : 'a finite number';
      throw new UserError(`${this.file}: ${where} is ${x}, expected ${expected}; the file is damaged or not written by 'gensen-eval evaluate'`);
    }
    return x;
  }
}

function readTask(r: Reader, key: string, v: Json | undefined): TaskResult {
  const f = `tasks.${key}`;
  const o = r.obj(v, f);
  const metrics = r.numRecord(o.metrics, `${f}.metrics`);
  const mainMetric = r.str(o.mainMetric, `${f}.mainMetric`);
  if (!(mainMetric in metrics)) {
    throw new UserError(
      `${r.file}: field '${f}.mainMetric': names '${mainMetric}', which is not among its metrics (${Object.keys(metrics).join(', ') || 'none'})`,
    );
  }
  const dataFiles: DataFileChecksum[] = [];
  if (o.dataFiles !== undefined) {
    if (!Array.isArray(o.dataFiles)) r.fail(`${f}.dataFiles`, 'an array', o.dataFiles);
    o.dataFiles.forEach((d, i) => {
      const dobj = r.obj(d, `${f}.dataFiles[${i}]`);
      dataFiles.push({ path: r.str(dobj.path, `${f}.dataFiles[${i}].path`), sha256: r.str(dobj.sha256, `${f}.dataFiles[${i}].sha256`) });
    });
  }
  const samples: Record<string, number> = {};
  if (o.samples !== undefined) {
    // Split names: train, dev, test, all, and extra test sets such as MultiNLI's test_mismatched.
    for (const [k, n] of Object.entries(r.obj(o.samples, `${f}.samples`))) samples[k] = r.num(n, `${f}.samples.${k}`);
  }
  const task: {
    -readonly [K in keyof TaskResult]: TaskResult[K];
  } = {
    task: o.task === undefined ? key : r.str(o.task, `${f}.task`),
    protocol: o.protocol === undefined ? 'unknown' : r.str(o.protocol, `${f}.protocol`),
    metrics,
    mainMetric,
    samples,
    wallSeconds: r.optNum(o.wallSeconds, `${f}.wallSeconds`, Number.NaN),
    encodeSeconds: r.optNum(o.encodeSeconds, `${f}.encodeSeconds`, Number.NaN),
    dataFiles,
    fingerprint: r.str(o.fingerprint, `${f}.fingerprint`),
  };
  if (o.notes !== undefined) {
    if (!Array.isArray(o.notes)) r.fail(`${f}.notes`, 'an array of strings', o.notes);
    task.notes = o.notes.map((n, i) => r.str(n, `${f}.notes[${i}]`));
  }
  if (o.seeds !== undefined) {
    if (!Array.isArray(o.seeds)) r.fail(`${f}.seeds`, 'an array of numbers', o.seeds);
    task.seeds = o.seeds.map((s, i) => r.num(s, `${f}.seeds[${i}]`));
  }
  if (o.perSeed !== undefined) {
    if (!Array.isArray(o.perSeed)) r.fail(`${f}.perSeed`, 'an array of metric objects', o.perSeed);
    task.perSeed = o.perSeed.map((m, i) => r.numRecord(m, `${f}.perSeed[${i}]`));
  }
  if (o.spread !== undefined) {
    const spread: Record<string, { mean: number; std: number; min: number; max: number }> = {};
    for (const [k, s] of Object.entries(r.obj(o.spread, `${f}.spread`))) {
      const so = r.obj(s, `${f}.spread.${k}`);
      spread[k] = {
        mean: r.metric(so.mean, `${f}.spread.${k}.mean`, k),
        std: r.metric(so.std, `${f}.spread.${k}.std`, 'std'),
        min: r.metric(so.min, `${f}.spread.${k}.min`, k),
        max: r.metric(so.max, `${f}.spread.${k}.max`, k),
      };
    }
    task.spread = spread;
  }
  if (o.predictionsFile !== undefined) task.predictionsFile = r.str(o.predictionsFile, `${f}.predictionsFile`);
  if (o.fit !== undefined) {
    const fo = r.obj(o.fit, `${f}.fit`);
    const numOrList = (v: Json | undefined, field: string): number | number[] =>
      Array.isArray(v) ? v.map((x, i) => r.num(x, `${field}[${i}]`)) : r.num(v, field);
    task.fit = {
      ...(fo.l2 === undefined ? {} : { l2: numOrList(fo.l2, `${f}.fit.l2`) }),
      epochs: numOrList(fo.epochs, `${f}.fit.epochs`),
    };
  }
  if (o.store !== undefined) {
    const so = r.obj(o.store, `${f}.store`);
    task.store = {
      rows: r.num(so.rows, `${f}.store.rows`),
      occurrences: r.num(so.occurrences, `${f}.store.occurrences`),
      dim: r.num(so.dim, `${f}.store.dim`),
      dtype: r.str(so.dtype, `${f}.store.dtype`),
      bytes: r.num(so.bytes, `${f}.store.bytes`),
    };
  }
  if (o.probes !== undefined) task.probes = r.num(o.probes, `${f}.probes`);
  return task;
}

function readEncoder(r: Reader, v: Json | undefined): EncoderIdentity {
  const o = r.obj(v, 'encoder');
  const params: Record<string, string | number | boolean> = {};
  if (o.params !== undefined) {
    for (const [k, p] of Object.entries(r.obj(o.params, 'encoder.params'))) {
      if (typeof p === 'string' || typeof p === 'number' || typeof p === 'boolean') params[k] = p;
      else r.fail(`encoder.params.${k}`, 'a string, number or boolean', p);
    }
  }
  return {
    name: r.str(o.name, 'encoder.name'),
    dim: r.optNum(o.dim, 'encoder.dim', 0),
    weightsHash: o.weightsHash === undefined ? '' : r.str(o.weightsHash, 'encoder.weightsHash'),
    params,
  };
}

function readStringRecord(r: Reader, v: Json | undefined, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(r.obj(v, field))) out[k] = r.str(x, `${field}.${k}`);
  return out;
}

function readStringList(r: Reader, v: Json | undefined, field: string): string[] {
  if (!Array.isArray(v)) r.fail(field, 'an array of strings', v);
  return v.map((x, i) => r.str(x, `${field}[${i}]`));
}

function readEnvironment(r: Reader, v: Json | undefined): RunEnvironment {
  const o = r.obj(v, 'environment');
  return {
    node: r.str(o.node, 'environment.node'),
    platform: o.platform === undefined ? '' : r.str(o.platform, 'environment.platform'),
    cpus: r.num(o.cpus, 'environment.cpus'),
    ...(o.gitCommit === undefined ? {} : { gitCommit: r.str(o.gitCommit, 'environment.gitCommit') }),
    dataDir: r.str(o.dataDir, 'environment.dataDir'),
  };
}

function readDevice(r: Reader, v: Json | undefined, field: string): DeviceRecord {
  const o = r.obj(v, field);
  const kind = r.str(o.kind, `${field}.kind`);
  if (kind === 'cpu') {
    return { kind, threads: r.num(o.threads, `${field}.threads`), ...(o.model === undefined ? {} : { model: r.str(o.model, `${field}.model`) }) };
  }
  if (kind !== 'gpu') r.fail(`${field}.kind`, "'cpu' or 'gpu'", o.kind);
  const text = (k: string): string => (o[k] === undefined ? '' : r.str(o[k], `${field}.${k}`));
  const api = o.api === undefined ? 'webgpu' : r.str(o.api, `${field}.api`);
  if (api !== 'webgpu' && api !== 'cuda') r.fail(`${field}.api`, "'webgpu' or 'cuda'", o.api);
  return {
    kind: 'gpu',
    api,
    vendor: text('vendor'),
    architecture: text('architecture'),
    device: text('device'),
    description: text('description'),
    software: o.software === true,
  };
}

function readDevices(r: Reader, v: Json | undefined): RunDevices {
  const o = r.obj(v, 'devices');
  return { encode: readDevice(r, o.encode, 'devices.encode'), probes: readDevice(r, o.probes, 'devices.probes') };
}

function readShard(r: Reader, v: Json | undefined): ShardInfo {
  const o = r.obj(v, 'shard');
  return { index: r.num(o.index, 'shard.index'), count: r.num(o.count, 'shard.count'), of: readStringList(r, o.of, 'shard.of') };
}

/**
 * Validates a parsed results document. Fails (UserError, exit 2) on what reports cannot do without
 * (metrics, main metric, fingerprints); fills and reports what only older or partial files lack.
 */
export function validateResults(doc: Json, file: string): { results: RunResults; warnings: string[] } {
  const r = new Reader(file);
  const o = r.obj(doc, '(top level)');
  let schemaVersion = RESULTS_SCHEMA_VERSION;
  if (o.schemaVersion === undefined) {
    r.warnings.push(`no schemaVersion; read as version ${RESULTS_SCHEMA_VERSION}`);
  } else {
    schemaVersion = r.num(o.schemaVersion, 'schemaVersion');
    if (schemaVersion > RESULTS_SCHEMA_VERSION) {
      throw new UserError(`${file}: schemaVersion ${schemaVersion} is newer than this gensen-eval reads (${RESULTS_SCHEMA_VERSION}); upgrade gensen-eval`);
    }
    if (schemaVersion < 1) r.fail('schemaVersion', `a version between 1 and ${RESULTS_SCHEMA_VERSION}`, o.schemaVersion);
  }
  const tasksObj = r.obj(o.tasks, 'tasks');
  const tasks: Record<string, TaskResult> = {};
  for (const [k, v] of Object.entries(tasksObj)) tasks[k] = readTask(r, k, v);
  const protocolObj = r.obj(o.protocol, 'protocol');
  const tool = isObject(o.tool)
    ? {
        name: r.str(o.tool.name, 'tool.name'),
        version: r.str(o.tool.version, 'tool.version'),
        ...(o.tool.protocolImplementation === undefined ? {} : { protocolImplementation: r.str(o.tool.protocolImplementation, 'tool.protocolImplementation') }),
      }
    : { name: 'gensen-eval', version: 'unknown' };
  const command = Array.isArray(o.command) ? o.command.map((c, i) => r.str(c, `command[${i}]`)) : [];
  const results: RunResults = {
    schemaVersion,
    tool,
    createdAt: o.createdAt === undefined ? '' : r.str(o.createdAt, 'createdAt'),
    seed: r.optNum(o.seed, 'seed', 1111),
    command,
    // Kept as written: the settings are shown and diffed, never interpreted field by field.
    protocol: protocolObj as unknown as ProtocolSettings,
    protocolFingerprint: r.str(o.protocolFingerprint, 'protocolFingerprint'),
    encoder: readEncoder(r, o.encoder),
    ...(o.device === undefined ? {} : { device: r.str(o.device, 'device') }),
    ...(o.devices === undefined ? {} : { devices: readDevices(r, o.devices) }),
    ...(o.units === undefined ? {} : { units: readStringRecord(r, o.units, 'units') }),
    ...(o.environment === undefined ? {} : { environment: readEnvironment(r, o.environment) }),
    ...(o.shard === undefined ? {} : { shard: readShard(r, o.shard) }),
    ...(o.mergedFrom === undefined ? {} : { mergedFrom: readStringList(r, o.mergedFrom, 'mergedFrom') }),
    tasks,
  };
  return { results, warnings: r.warnings };
}

export function readResultsFile(file: string): LoadedResults {
  const doc = readJsonFile(file, 'results file');
  const { results, warnings } = validateResults(doc, file);
  return { path: file, results, warnings };
}
