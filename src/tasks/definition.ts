/**
 * The schema of a task definition (one JSON file per task in the top-level `tasks/` folder) and
 * its validation. A task is data: which files, which reader, which protocol. The code that reads
 * the files is a handful of format readers (src/tasks/readers.ts, one module each in src/tasks/readers/),
 * which also check their own fields.
 */
import { UserError } from '../util/errors.js';
import { withArticle } from '../util/english.js';
import type { ProtocolOverrides } from '../protocol/definition.js';
import { findProtocol, protocolNames, taskMetrics } from '../protocol/registry.js';
import type { FeatureScheme, ProtocolName } from './types.js';
import { int, obj, relPath, str, strArr, type Json } from './json-checks.js';
import { findReader, readerNames } from './readers.js';

export type TextEncoding = 'latin1' | 'utf8';

/** `format.reader` names a reader (src/tasks/readers.ts); the other fields are that reader's own. */
export interface FormatSpec {
  readonly reader: string;
  readonly [field: string]: unknown;
}

/**
 * Where a split's data comes from; the shape is the reader's (a path, a list of alternative names,
 * a list of {file, label}, {input, gold}, ...), checked by it when the definition is read.
 */
export type SplitSource = string | readonly unknown[] | Readonly<Record<string, unknown>>;

/**
 * A split carved deterministically out of another: the rows whose position in a seeded
 * permutation (src/util/rng.ts `Rng(seed)`) of the source split is among the last `size`.
 * Both parts keep the source file's order.
 */
export interface HeldOutSpec {
  readonly from: string;
  readonly to: string;
  readonly size: number;
  readonly seed: number;
}

export interface DownloadSource {
  /** Canonical upstream location. */
  readonly url: string;
  /** How the upstream file becomes the files of `splits`. */
  readonly kind: 'file' | 'zip' | 'manual';
  /** For `file`: the data-folder path it is saved as. For `zip`: archive member → data path. */
  readonly saveAs?: string;
  readonly members?: Readonly<Record<string, string>>;
  /** Byte-level edits SentEval's script applies (TREC: drop backquotes and apostrophes). */
  readonly deleteChars?: string;
  readonly note?: string;
}

/**
 * How a task without its training file stays usable: train on dev minus a seeded held-out part
 * (Quora, whose BiMPM training split is not redistributed). Enabled by the loader option
 * `devAsTrain`.
 */
export interface DevAsTrainSpec {
  /** CLI spelling named in errors. */
  readonly flag: string;
  /** Rows of the dev file held out (seeded, as in HeldOutSpec) for model selection. */
  readonly heldOutSize: number;
  readonly seed: number;
  /** Added to TaskData.notes whenever the option is used. */
  readonly note: string;
}

/** One leaderboard column of a task. */
export interface ReportColumnSpec {
  readonly metric: string;
  readonly header: string;
  /** The task's ranking column, the one that enters averages (default true; one per task). */
  readonly main?: boolean;
}

/** How reports show a task and how much its score may move before `check` calls it a regression. */
export interface ReportSpec {
  readonly columns: readonly ReportColumnSpec[];
  /** `check`'s default tolerance in display points when no seed spread is known. */
  readonly tolerance: number;
}

export type SortKeyPart = 'lenA' | 'lenB' | 'y' | 'labelName';

export interface TaskDefinition {
  readonly id: string;
  /** Other names accepted on the command line (matched case-insensitively, like `id`). */
  readonly aliases: readonly string[];
  readonly description: string;
  readonly source: { readonly citation: string; readonly url?: string };
  readonly format: FormatSpec;
  readonly encoding: TextEncoding;
  /** Split name → source. `all` for k-fold-over-everything tasks; `test_<name>` for extra tests. */
  readonly splits: Readonly<Record<string, SplitSource>>;
  /** Files copied by `data get` beside the split files (licences, readmes); not read. */
  readonly extraFiles?: readonly string[];
  readonly heldOut?: HeldOutSpec;
  readonly devAsTrain?: DevAsTrainSpec;
  /** A registered protocol (src/protocol/registry.ts); it says what else the task must give. */
  readonly protocol: ProtocolName;
  readonly features: FeatureScheme;
  /** Number of classes; for relatedness tasks the 5 classes of Tai et al.'s encoding; 0 for unsupervised STS. */
  readonly nclasses: number;
  /** Class names in index order (empty for relatedness and unsupervised STS tasks). */
  readonly labels: readonly string[];
  /** Gold score range of relatedness and unsupervised STS tasks. */
  readonly scoreRange?: readonly [number, number];
  /** SentEval's per-task sort before encoding (stable sort by these keys, in order). */
  readonly sortKey: readonly SortKeyPart[];
  /**
   * What the protocol produces for this task (resolved when the file is read: task files do not
   * list them), under any settings; the task file adds optional ones with `extraMetrics` (MRPC's f1).
   */
  readonly metrics: readonly string[];
  readonly extraMetrics?: readonly string[];
  /** The metric that ranks the task: the protocol's main one unless the file names another it produces. */
  readonly mainMetric: string;
  /**
   * Facts particular encoders' reference scripts knew about this task, keyed by encoder name
   * (`{"gensen": {"pooling": "max"}}`); optional, and validated by the encoder that owns the key
   * (src/encoders/types.ts EncoderHints), not here.
   */
  readonly encoderHints?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly report: ReportSpec;
  readonly protocolOverrides?: ProtocolOverrides;
  readonly download: readonly DownloadSource[];
  readonly notes: readonly string[];
}

const FEATURES: readonly FeatureScheme[] = ['single', 'absdiff-prod', 'nli', 'pair'];
const SORT_KEYS: readonly SortKeyPart[] = ['lenA', 'lenB', 'y', 'labelName'];
const TOP_KEYS = new Set([
  'id',
  'aliases',
  'description',
  'source',
  'format',
  'encoding',
  'splits',
  'extraFiles',
  'heldOut',
  'devAsTrain',
  'protocol',
  'features',
  'nclasses',
  'labels',
  'scoreRange',
  'sortKey',
  'extraMetrics',
  'mainMetric',
  'encoderHints',
  'report',
  'protocolOverrides',
  'download',
  'notes',
  '$comment',
]);

/** Checks a parsed task JSON document and returns it typed; `where` names the file in errors. */
export function validateDefinition(doc: Json, where: string): TaskDefinition {
  const fail = (what: string): never => {
    throw new UserError(`${where}: invalid task definition: ${what}`);
  };
  const o = obj(doc, 'the document', fail);
  if (o.metrics !== undefined) fail('"metrics" is not a task field: the protocol says what it produces (optional ones go in "extraMetrics")');
  for (const k of Object.keys(o)) if (!TOP_KEYS.has(k)) fail(`unknown field "${k}"`);
  const id = str(o.id, 'id', fail);
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(id)) fail(`id "${id}" must be letters, digits and dashes`);
  strArr(o.aliases, 'aliases', fail);
  str(o.description, 'description', fail);
  const source = obj(o.source, 'source', fail);
  str(source.citation, 'source.citation', fail);
  if (source.url !== undefined) str(source.url, 'source.url', fail);
  const encoding = str(o.encoding, 'encoding', fail);
  if (encoding !== 'latin1' && encoding !== 'utf8') fail(`encoding must be "latin1" or "utf8"`);
  const protocol = str(o.protocol, 'protocol', fail) as ProtocolName;
  const protocolDef = findProtocol(protocol) ?? fail(`protocol must be one of ${protocolNames().join(', ')}`);
  const features = str(o.features, 'features', fail) as FeatureScheme;
  if (!FEATURES.includes(features)) fail(`features must be one of ${FEATURES.join(', ')}`);
  if (!protocolDef.features.includes(features))
    fail(`${withArticle(protocol)} task takes "features" ${protocolDef.features.map((f) => `"${f}"`).join(' or ')}`);
  const nclasses = int(o.nclasses, 'nclasses', fail);
  strArr(o.labels, 'labels', fail);
  const r = o.scoreRange;
  if (r !== undefined && (!Array.isArray(r) || r.length !== 2 || !r.every((x) => typeof x === 'number') || r[0] >= r[1])) {
    fail('"scoreRange" must be [min, max] with min < max');
  }
  const sortKey = strArr(o.sortKey, 'sortKey', fail);
  for (const k of sortKey) if (!SORT_KEYS.includes(k as SortKeyPart)) fail(`sortKey: unknown key "${k}"`);
  if (o.encoderHints !== undefined) {
    const h = obj(o.encoderHints, 'encoderHints', fail);
    for (const k of Object.keys(h)) obj(h[k], `encoderHints.${k}`, fail);
  }
  strArr(o.notes, 'notes', fail);
  if (o.extraFiles !== undefined) strArr(o.extraFiles, 'extraFiles', fail).forEach((p) => relPath(p, 'extraFiles', fail));
  if (o.protocolOverrides !== undefined) {
    const po = obj(o.protocolOverrides, 'protocolOverrides', fail);
    for (const k of Object.keys(po)) {
      if (!(protocolDef.overrides as readonly string[]).includes(k)) {
        fail(
          `protocolOverrides: "${k}" is not a setting ${withArticle(protocol)} task can override${protocolDef.overrides.length ? ` (${protocolDef.overrides.join(', ')})` : ''}`,
        );
      }
      if (k === 'noreg') {
        if (typeof po[k] !== 'boolean') fail('protocolOverrides.noreg must be a boolean');
      } else if (int(po[k], `protocolOverrides.${k}`, fail) < 1) fail(`protocolOverrides.${k} must be >= 1`);
    }
  }

  const format = obj(o.format, 'format', fail);
  const readerName = str(format.reader, 'format.reader', fail);
  const reader = findReader(readerName) ?? fail(`format.reader must be one of ${readerNames().join(', ')}`);
  const readerCtx = { protocol, takesScores: protocolDef.labels === 'score', nclasses, fail };
  reader.validateFormat(format, readerCtx);

  const splits = obj(o.splits, 'splits', fail);
  const names = Object.keys(splits);
  if (names.length === 0) fail('splits is empty');
  for (const name of names) {
    // A protocol of datasets (an STS year) names its splits after them; its check says how.
    if (protocolDef.splitNames === 'standard' && !/^(all|train|dev|test|test_[a-z0-9_]+)$/.test(name)) {
      fail(`split name "${name}" must be all, train, dev, test or test_<name>`);
    }
    reader.validateSplit(splits[name], `splits.${name}`, readerCtx);
  }
  if (o.heldOut !== undefined) {
    const h = obj(o.heldOut, 'heldOut', fail);
    const from = str(h.from, 'heldOut.from', fail);
    const to = str(h.to, 'heldOut.to', fail);
    if (!names.includes(from)) fail(`heldOut.from "${from}" is not a split`);
    if (names.includes(to)) fail(`heldOut.to "${to}" is already a split`);
    if (int(h.size, 'heldOut.size', fail) < 1) fail('heldOut.size must be >= 1');
    int(h.seed, 'heldOut.seed', fail);
  }
  if (o.devAsTrain !== undefined) {
    const d = obj(o.devAsTrain, 'devAsTrain', fail);
    str(d.flag, 'devAsTrain.flag', fail);
    str(d.note, 'devAsTrain.note', fail);
    if (int(d.heldOutSize, 'devAsTrain.heldOutSize', fail) < 1) fail('devAsTrain.heldOutSize must be >= 1');
    int(d.seed, 'devAsTrain.seed', fail);
  }
  const view = { ...o, id, protocol, features, nclasses, labels: o.labels as string[], splits } as unknown as TaskDefinition;
  const problem = protocolDef.checkTask(view);
  if (problem !== undefined) fail(problem);

  // Metrics: what the protocol produces for this task; the file may ask for optional ones and name
  // which ranks the task.
  const produced = protocolDef.metrics(view);
  const extra = o.extraMetrics === undefined ? [] : strArr(o.extraMetrics, 'extraMetrics', fail);
  for (const m of extra) {
    if (!produced.some((p) => p.key === m && p.optional)) {
      const optional = produced.filter((p) => p.optional).map((p) => p.key);
      fail(
        `extraMetrics: "${m}" is not an optional metric of ${withArticle(protocol)} task${optional.length ? ` (it has ${optional.join(', ')})` : ' (it has none)'}`,
      );
    }
  }
  const metrics = taskMetrics({ ...view, extraMetrics: extra }).map((m) => m.key);
  const protocolMain = produced.find((m) => m.main)!.key;
  const main = o.mainMetric === undefined ? protocolMain : str(o.mainMetric, 'mainMetric', fail);
  if (!metrics.includes(main)) fail(`mainMetric "${main}" is not a metric ${withArticle(protocol)} task produces (${metrics.join(', ')})`);
  const report = obj(o.report, 'report', fail);
  for (const k of Object.keys(report)) if (k !== 'columns' && k !== 'tolerance') fail(`report: unknown field "${k}"`);
  if (typeof report.tolerance !== 'number' || !(report.tolerance >= 0)) fail('report.tolerance must be a number >= 0');
  if (!Array.isArray(report.columns) || report.columns.length === 0) fail('report.columns must list at least one column');
  let mains = 0;
  (report.columns as Json[]).forEach((c, i) => {
    const col = obj(c, `report.columns[${i}]`, fail);
    for (const k of Object.keys(col)) if (!['metric', 'header', 'main'].includes(k)) fail(`report.columns[${i}]: unknown field "${k}"`);
    const m = str(col.metric, `report.columns[${i}].metric`, fail);
    if (!metrics.includes(m)) fail(`report.columns[${i}].metric "${m}" is not a metric ${withArticle(protocol)} task produces (${metrics.join(', ')})`);
    str(col.header, `report.columns[${i}].header`, fail);
    if (col.main !== undefined && typeof col.main !== 'boolean') fail(`report.columns[${i}].main must be a boolean`);
    if (col.main !== false) {
      mains++;
      if (m !== main) fail(`report.columns[${i}]: the main column must show mainMetric "${main}"`);
    }
  });
  if (mains !== 1) fail('report.columns must have exactly one main column');
  if (!Array.isArray(o.download)) fail('download must be a list');
  (o.download as Json[]).forEach((d, i) => {
    const x = obj(d, `download[${i}]`, fail);
    str(x.url, `download[${i}].url`, fail);
    const kind = str(x.kind, `download[${i}].kind`, fail);
    if (kind !== 'file' && kind !== 'zip' && kind !== 'manual') fail(`download[${i}].kind must be file, zip or manual`);
    if (kind === 'file') relPath(str(x.saveAs, `download[${i}].saveAs`, fail), `download[${i}].saveAs`, fail);
    if (kind === 'zip') {
      for (const [k, v] of Object.entries(obj(x.members, `download[${i}].members`, fail))) {
        relPath(str(v, `download[${i}].members["${k}"]`, fail), `download[${i}].members`, fail);
      }
    }
    if (x.deleteChars !== undefined) str(x.deleteChars, `download[${i}].deleteChars`, fail);
    if (x.note !== undefined) str(x.note, `download[${i}].note`, fail);
  });
  return { ...(doc as TaskDefinition), metrics, ...(extra.length ? { extraMetrics: extra } : {}), mainMetric: main };
}

/** Every file a definition may read, with alternatives flattened (for checksums and copying). */
export function definitionFiles(def: TaskDefinition): string[] {
  const out: string[] = [];
  for (const src of Object.values(def.splits)) for (const group of splitFileGroups(def, src)) out.push(...group);
  return [...new Set(out)];
}

/** A split's files as groups of alternative names, one group per file the split needs (its reader says which). */
export function splitFileGroups(def: TaskDefinition, src: SplitSource): string[][] {
  const reader = findReader(def.format.reader);
  if (!reader) throw new Error(`task ${def.id}: no reader '${def.format.reader}'`);
  return reader.files(src);
}
