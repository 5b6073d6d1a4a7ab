//go:build !linux

package main

import "syscall"

// childProcAttr leaves the collector in the demo's process group: a Ctrl-C reaches both.
func childProcAttr() *syscall.SysProcAttr { return nil }
