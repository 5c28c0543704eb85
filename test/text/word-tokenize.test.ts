import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { wordTokenize } from '../../src/text/word-tokenize.js';

const fixture = JSON.parse(readFileSync(join(process.cwd(), 'test', 'fixtures', 'tokenize', 'nltk_word_tokenize.json'), 'utf8')) as {
  cases: { text: string; tokens: string[] }[];
};

test('wordTokenize equals NLTK word_tokenize(preserve_line=True) on crafted and real sentences', () => {
  assert.ok(fixture.cases.length >= 300);
  const failures: string[] = [];
  for (const c of fixture.cases) {
    const got = wordTokenize(c.text);
    if (JSON.stringify(got) !== JSON.stringify(c.tokens))
      failures.push(`${JSON.stringify(c.text)}\n  got  ${JSON.stringify(got)}\n  want ${JSON.stringify(c.tokens)}`);
  }
  assert.equal(failures.length, 0, failures.slice(0, 5).join('\n'));
});
