//go:build tools

// Package yamlhost pins the Pulumi YAML language host so `go build` of it uses the
// versions recorded in this module's go.sum (scripts/yaml-host.sh builds it).
package yamlhost

import _ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
