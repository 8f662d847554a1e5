// Package archtest holds no code: its test checks that the module's
// imports follow the data, as .golangci.yml's depguard rules also do.
//
//	schemas <- transforms <- pipelines
//	schemas <- io         <- pipelines
//
// schemas imports no other package of the module; transforms and io import
// schemas and internal libraries, never each other, pipelines or tools.
// Tests are exempt: a test may run a reader next to a transform.
package archtest
