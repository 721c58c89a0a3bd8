//go:build unix

package deadletter

import (
	"os"
	"syscall"
)

// openAppendNoFollow opens path to append, creating it, failing on a
// symbolic link as its last component and not waiting for a FIFO's reader.
func openAppendNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
}

// mayCreateIn says whether this process may create files in the
// directory dir, as the kernel decides it (owner, group, ACLs, a
// read-only mount), without creating one.
func mayCreateIn(dir string) error {
	return syscall.Access(dir, 0x2|0x1) // W_OK|X_OK
}
