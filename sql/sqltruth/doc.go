// Package sqltruth holds the tests of the SQL of sql/ against the
// generator's ground truth: the analysis queries run on a warehouse the
// batch pipeline built from a generated sample, and their figures are
// compared with figures computed from the truth and the raw files alone
// (internal/groundtruth). The package has no code but its tests; it lives
// beside the SQL so that no tool imports the pipeline.
package sqltruth
