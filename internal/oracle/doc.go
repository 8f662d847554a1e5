// Package oracle holds the Go rules of identity and pages that the SQL
// models of sql/models are checked against: the device -> user bridge and
// the dimensions (BuildDims), retroactive stitching (Resolver) and
// dim_pages (Pages), as the README states them (Identity, Pages). They
// compute everything from all the facts at once, the simplest reading of
// the rules, while the models maintain the dimensions incrementally.
//
// It is for tests only: the pipeline runs these rules as SQL, and nothing
// but a test imports this package (TestImports checks it).
package oracle
