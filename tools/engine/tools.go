//go:build tools

// Package engine pins the Pulumi CLI module so `go build` of the CLI uses the
// versions recorded in this module's go.sum.
package engine

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
