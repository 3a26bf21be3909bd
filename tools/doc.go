// Package tools pins the development tools of the repository in its own
// module, so their dependencies stay out of the server's go.mod:
//
//	go build -C tools -o ../.build/golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint
//
// ./dev test builds and runs them.
package tools
