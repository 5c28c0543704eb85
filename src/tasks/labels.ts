import { lineError } from '../util/errors.js';
import type { TaskDefinition } from './definition.js';
import type { LabelSpec } from './readers/common.js';
import { parsePyFloat, parsePyInt } from './text.js';

/** Turns a label cell into a class index or score; throws file:line errors for bad cells. */
export type LabelParser = (cell: string, file: string, line: number) => number;

export function labelParser(def: TaskDefinition, spec: LabelSpec): LabelParser {
  if (spec.type === 'int') {
    return (cell, file, line) => {
      const v = parsePyInt(cell);
      if (v === undefined || v < 0 || v >= def.nclasses) {
        throw lineError(file, line, `expected a class index 0..${def.nclasses - 1}, found ${show(cell)}`);
      }
      return v;
    };
  }
  if (spec.type === 'float') {
    const [lo, hi] = def.scoreRange ?? [-Infinity, Infinity];
    return (cell, file, line) => {
      const v = parsePyFloat(cell);
      if (v === undefined) throw lineError(file, line, `expected a numeric score, found ${show(cell)}`);
      if (v < lo || v > hi) throw lineError(file, line, `expected a score in [${lo}, ${hi}], found ${show(cell)}`);
      return v;
    };
  }
  const map = new Map<string, number>(spec.map ? Object.entries(spec.map) : def.labels.map((name, i) => [name, i] as [string, number]));
  const known = [...map.keys()].join(', ');
  return (cell, file, line) => {
    const v = map.get(cell);
    if (v === undefined) throw lineError(file, line, `expected a label (one of ${known}), found ${show(cell)}`);
    return v;
  };
}

export function show(cell: string): string {
  return JSON.stringify(cell.length > 60 ? `${cell.slice(0, 60)}…` : cell);
}
