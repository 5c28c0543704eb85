/**
 * Published results as data (`tasks/reference/<set>.json`): rows of cells, each cell with its
 * source and whether it was checked, each row naming the encoder and protocol that produced it.
 * Values use the results-file scale (accuracy in percent, correlations as fractions).
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tasksDir } from '../tasks/registry.js';
import { readJsonFile } from '../results/read.js';
import { UserError } from '../util/errors.js';
import { canonicalTask } from './columns.js';
import { metricKind } from '../protocol/metrics.js';

export interface ReferenceCell {
  readonly task: string;
  readonly metric: string;
  readonly value: number;
  /** As the source prints it (e.g. `0.888`, `78.9`). */
  readonly printed?: string;
  readonly verified: boolean;
  readonly source: string;
}

export interface ReferenceRow {
  readonly id: string;
  readonly label: string;
  readonly encoder: string;
  readonly protocol: string;
  readonly cells: readonly ReferenceCell[];
}

export interface ReferenceSet {
  readonly name: string;
  readonly description: string;
  readonly rows: readonly ReferenceRow[];
}

export function referenceDir(): string {
  return join(tasksDir(), 'reference');
}

export function availableReferenceSets(): string[] {
  return readdirSync(referenceDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
}

function fail(file: string, field: string, expected: string): never {
  throw new UserError(`${file}: field '${field}': expected ${expected}`);
}

/** Loads a set by name (`gensen`, `baselines`) or by path to a JSON file of the same shape. */
export function loadReferenceSet(nameOrPath: string): ReferenceSet {
  const isPath = nameOrPath.endsWith('.json') || nameOrPath.includes('/');
  let file: string;
  if (isPath) {
    file = resolve(nameOrPath);
  } else {
    const sets = availableReferenceSets();
    if (!sets.includes(nameOrPath)) {
      throw new UserError(`unknown reference set '${nameOrPath}': expected one of ${sets.join(', ')} or a path to a .json file`);
    }
    file = join(referenceDir(), `${nameOrPath}.json`);
  }
  const doc = readJsonFile(isPath ? nameOrPath : file, 'reference set') as Record<string, unknown>;
  const where = isPath ? nameOrPath : file;
  if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.rows)) fail(where, 'rows', 'an array of rows');
  const rows: ReferenceRow[] = (doc.rows as unknown[]).map((r, i) => {
    const ro = r as Record<string, unknown>;
    for (const k of ['id', 'label', 'encoder', 'protocol'] as const) {
      if (typeof ro?.[k] !== 'string') fail(where, `rows[${i}].${k}`, 'a string');
    }
    if (!Array.isArray(ro.cells)) fail(where, `rows[${i}].cells`, 'an array');
    const cells: ReferenceCell[] = (ro.cells as unknown[]).map((c, j) => {
      const co = c as Record<string, unknown>;
      const f = `rows[${i}].cells[${j}]`;
      if (typeof co?.task !== 'string') fail(where, `${f}.task`, 'a string');
      if (typeof co.metric !== 'string') fail(where, `${f}.metric`, 'a string');
      if (typeof co.value !== 'number') fail(where, `${f}.value`, 'a number');
      // The results-file scale, so a published value is range-checked as a run's value is.
      const range = metricKind(co.metric);
      if (!Number.isFinite(co.value) || (range && (co.value < range.min || co.value > range.max))) {
        fail(
          where,
          `${f}.value`,
          `${range ? `a number from ${range.min} to ${range.max} (${range.what}; results-file scale)` : 'a finite number'}, found ${co.value}`,
        );
      }
      if (typeof co.verified !== 'boolean') fail(where, `${f}.verified`, 'true or false');
      if (typeof co.source !== 'string' || co.source === '') fail(where, `${f}.source`, 'a non-empty string');
      return {
        task: canonicalTask(co.task),
        metric: co.metric,
        value: co.value,
        ...(typeof co.printed === 'string' ? { printed: co.printed } : {}),
        verified: co.verified,
        source: co.source,
      };
    });
    return { id: ro.id as string, label: ro.label as string, encoder: ro.encoder as string, protocol: ro.protocol as string, cells };
  });
  return {
    name: typeof doc.name === 'string' ? doc.name : nameOrPath,
    description: typeof doc.description === 'string' ? doc.description : '',
    rows,
  };
}
