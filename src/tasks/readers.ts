/**
 * The format readers, one table: a task file's `format.reader` names one. Each reader is one module
 * of src/tasks/readers/ (readers/common.ts says what a reader is); adding a reader is adding its
 * module and its line below (library users call `registerReader`). The task validator and the loader
 * ask this table, so they need no edit.
 */
import type { ReaderDefinition } from './readers/common.js';
import { reader as jsonl } from './readers/jsonl.js';
import { reader as labelFirst } from './readers/label-first.js';
import { reader as labelledLines } from './readers/labelled-lines.js';
import { reader as parallelLines } from './readers/parallel-lines.js';
import { reader as quora } from './readers/quora.js';
import { reader as stsPairs } from './readers/sts-pairs.js';
import { reader as trec } from './readers/trec.js';
import { reader as tsv } from './readers/tsv.js';

export type { ReaderDefinition } from './readers/common.js';

const table = new Map<string, ReaderDefinition>();

/** Adds a reader; its name must be new. */
export function registerReader(r: ReaderDefinition): void {
  if (table.has(r.name)) throw new Error(`reader '${r.name}' is already registered`);
  table.set(r.name, r);
}

for (const r of [labelledLines, tsv, trec, labelFirst, stsPairs, parallelLines, jsonl, quora]) registerReader(r);

export function readerNames(): string[] {
  return [...table.keys()];
}

/** The reader of that name, or undefined. */
export function findReader(name: string): ReaderDefinition | undefined {
  return table.get(name);
}
