#!/usr/bin/env node
// A dependency-free command encoder (protocol 1): the mean of word vectors from a GloVe-format text
// file ("word v1 v2 ..." per line), matching tokens by their lowercased form, zeros for a sentence
// with no known word. Values are read as float32, as --encoder bow holds them. Usage:
//   gensen-eval export-vectors --tasks SICK-E,STS-B --out vectors.txt     # the bow encoder's vectors
//   gensen-eval evaluate --encoder command --command "node examples/encoders/bow.mjs vectors.txt --dim 100"
// "--dim N" refuses a file whose vectors are not N-d (e.g. 102 numbers per word); "--json" answers
// with JSON arrays instead of base64 float32.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const usage = 'usage: bow.mjs VECTORS.txt [--dim N] [--json]';
const fail = (msg) => {
  process.stderr.write(`bow.mjs: ${msg}\n`);
  process.exit(2);
};
const args = process.argv.slice(2);
let file;
let format;
let want;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--json') format = '--json';
  else if (args[i] === '--dim') {
    want = Number(args[++i]);
    if (!Number.isInteger(want) || want < 1) fail(`--dim needs a positive integer; ${usage}`);
  } else if (file === undefined && !args[i].startsWith('--')) file = args[i];
  else fail(`unexpected argument '${args[i]}'; ${usage}`);
}
if (!file) fail(usage);
const text = readFileSync(file);
const vectors = new Map();
let dim = 0;
let dimLine = 0;
const lines = text.toString('utf8').split('\n');
for (let i = 0; i < lines.length; i++) {
  const parts = lines[i].trimEnd().split(' ');
  if (parts.length < 2) continue;
  // word2vec's text format starts with a "count dim" line.
  if (i === 0 && parts.length === 2 && /^[0-9]+$/.test(parts[0]) && /^[0-9]+$/.test(parts[1])) continue;
  const v = parts.slice(1).map((x) => Math.fround(Number(x)));
  if (v.some((x) => !Number.isFinite(x))) fail(`${file}:${i + 1}: a value that is not a finite number`);
  if (dim === 0) [dim, dimLine] = [v.length, i + 1];
  // One vector length for the whole file: a mixed file is a broken export, not something to skip.
  if (v.length !== dim) fail(`${file}:${i + 1}: ${v.length} numbers after the word, but line ${dimLine} has ${dim}`);
  if (!vectors.has(parts[0])) vectors.set(parts[0], v);
}
if (dim === 0) fail(`${file}: no "word v1 v2 ..." line`);
if (want !== undefined && dim !== want) fail(`${file}: ${dim} numbers per word, expected ${want} (--dim)`);
process.stderr.write(`bow.mjs: ${vectors.size} words, ${dim}-d\n`);
const fingerprint = createHash('sha256').update(text).digest('hex');

function embed(tokens) {
  const acc = new Float64Array(dim);
  let n = 0;
  for (const t of tokens) {
    const v = vectors.get(t.toLowerCase());
    if (!v) continue;
    n++;
    for (let j = 0; j < dim; j++) acc[j] += v[j];
  }
  return Float32Array.from(acc, (x) => (n ? x / n : 0));
}

const send = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  const msg = JSON.parse(line);
  if (msg.type === 'hello') {
    if (msg.protocol !== 1) send({ type: 'error', message: `protocol ${msg.protocol} not supported` });
    else send({ type: 'hello', protocol: 1, name: 'bow-mjs', dim, fingerprint });
  } else if (msg.type === 'prepare') {
    send({ type: 'prepared', key: '' });
  } else if (msg.type === 'encode') {
    const rows = msg.batch.map(embed);
    if (format === '--json') {
      send({ type: 'vectors', id: msg.id, vectors: rows.map((r) => Array.from(r)) });
    } else {
      const out = new Float32Array(rows.length * dim);
      rows.forEach((r, i) => out.set(r, i * dim));
      send({ type: 'vectors', id: msg.id, f32: Buffer.from(out.buffer).toString('base64') });
    }
  } else if (msg.type === 'close') {
    break;
  }
}
