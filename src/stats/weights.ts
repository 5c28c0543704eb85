/**
 * Metrics below take optional per-example weights: a bootstrap resample is the count of times each
 * example was drawn, so scoring a resample is O(n) without materialising it (and Spearman needs
 * no sort per resample). No weights = every example once.
 */
export type Weights = Int32Array | undefined;

// Each metric has a weighted and an unweighted loop: a per-element "weight or 1" branch kept the
// bootstrap (10^4 resamples × 10^4 examples) several times slower.
