//go:build tools

// Package tools pins the official AWS Session Manager plugin so that
// `go build github.com/aws/session-manager-plugin/src/sessionmanagerplugin-main`
// resolves from this module's go.sum.
package tools

import _ "github.com/aws/session-manager-plugin/src/sessionmanagerplugin-main"
