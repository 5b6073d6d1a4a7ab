package main

import "syscall"

// childProcAttr puts the collector in its own process group, so a Ctrl-C in the terminal reaches
// only the demo, which then stops the apps before the collector; and the kernel stops the
// collector should the demo itself die.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
