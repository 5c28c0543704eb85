#!/usr/bin/env node
// A dependency-free command encoder (protocol 1): the mean of word vectors from a GloVe-format text
// file ("word v1 v2 ..." per line), matching tokens by their lowercased form, zeros for a sentence
// with no known word. Usage:
//   gensen-eval evaluate --encoder command --command "node examples/encoders/bow.mjs glove.txt"
// Add "--json" after the file to answer with JSON arrays instead of base64 float32.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [file, format] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: bow.mjs VECTORS.txt [--json]\n');
  process.exit(2);
}
const text = readFileSync(file);
const vectors = new Map();
let dim = 0;
for (const line of text.toString('utf8').split('\n')) {
  const parts = line.trimEnd().split(' ');
  if (parts.length < 2) continue;
  const v = parts.slice(1).map(Number);
  dim ||= v.length;
  if (v.length === dim && !vectors.has(parts[0])) vectors.set(parts[0], v);
}
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
