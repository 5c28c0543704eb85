import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findProtocol, protocolNames, registerProtocol, taskMetrics } from '../../src/protocol/registry.js';
import { METRIC_FAMILIES, metricFamily, metricKind, roundMetric, toDisplay } from '../../src/protocol/metrics.js';
import { PRESETS, resolveSettings } from '../../src/protocol/settings.js';
import { listTasks, resolveTask, suitesFile } from '../../src/tasks/registry.js';
import type { ProtocolDefinition } from '../../src/protocol/definition.js';

test('every metric a registered protocol produces for a task has a kind, stated once in metrics.ts', () => {
  for (const def of listTasks()) {
    const p = findProtocol(def.protocol);
    assert.ok(p, `${def.id}: protocol ${def.protocol} is registered`);
    for (const m of p.metrics(def)) {
      assert.ok(metricKind(m.key), `${def.id}: ${m.key} (family ${metricFamily(m.key)}) has no kind`);
      assert.ok(Object.hasOwn(METRIC_FAMILIES, metricFamily(m.key)));
    }
    // Exactly one main metric per protocol, and the task's main metric is one it produces.
    assert.equal(p.metrics(def).filter((m) => m.main).length, 1, def.id);
    assert.ok(def.metrics.includes(def.mainMetric), def.id);
  }
});

test('a protocol names only real settings, and only the relatedness dev statistic depends on them', () => {
  const keys = new Set(Object.keys(PRESETS.paper!));
  for (const name of protocolNames()) {
    const p = findProtocol(name)!;
    for (const k of p.settings) assert.ok(keys.has(k) || k === 'featureDtype', `${name}: unknown setting ${k}`);
  }
  const sick = resolveTask('SICK-R');
  assert.deepEqual(
    taskMetrics(sick, resolveSettings('paper')).map((m) => m.key),
    ['devpearson', 'pearson', 'spearman', 'mse'],
  );
  assert.deepEqual(
    taskMetrics(sick, resolveSettings('paper', { relatednessEarlyStop: 'spearman' })).map((m) => m.key),
    ['devspearman', 'pearson', 'spearman', 'mse'],
  );
  // MRPC asks for the optional F1 of its protocol; TREC (6 classes) has none to ask for.
  assert.deepEqual(resolveTask('MRPC').metrics, ['devacc', 'acc', 'f1']);
  assert.deepEqual(resolveTask('TREC').metrics, ['devacc', 'acc']);
  assert.deepEqual(resolveTask('MultiNLI').metrics, ['devacc', 'acc', 'acc_mismatched']);
  assert.deepEqual(resolveTask('STS-B-unsup').metrics, ['spearman', 'pearson', 'spearman_train', 'pearson_train', 'spearman_dev', 'pearson_dev']);
});

test('every preset early-stops the relatedness probe on dev Pearson, as upstream SentEval does', () => {
  for (const [name, p] of Object.entries(PRESETS)) assert.equal(p.relatednessEarlyStop, 'pearson', name);
});

test('one rounding and display rule per kind: accuracies 2 decimals, correlations and MSE 4, correlations shown x100', () => {
  assert.equal(roundMetric('acc', 72.125), 72.12); // Python's round: exact binary value, ties to even
  assert.equal(roundMetric('spearman_pooled', 0.508649), 0.5086);
  assert.equal(roundMetric('mse', 1.234567), 1.2346);
  assert.equal(roundMetric('devpearson', 0.75445), 0.7544);
  assert.equal(toDisplay('pearson_MSRpar', 0.5), 50);
  assert.equal(toDisplay('acc_mismatched', 70.5), 70.5);
  assert.equal(metricKind('unknown_metric'), undefined);
  assert.equal(roundMetric('unknown_metric', 0.123456789), 0.123456789);
});

test('every suite view names metrics its tasks produce', () => {
  for (const [name, suite] of Object.entries(suitesFile().suites)) {
    for (const c of suite.view?.columns ?? []) {
      assert.ok(resolveTask(c.task).metrics.includes(c.metric), `view ${name}: ${c.task} has no ${c.metric}`);
    }
  }
});

test('a protocol is registered once, by name', () => {
  const again = findProtocol('kfold') as ProtocolDefinition;
  assert.throws(() => registerProtocol(again), /already registered/);
});
