//go:build unix

package webhookexporter

import (
	"os"
	"syscall"
)

// openAppendNoFollow opens path to append, creating it, failing on a
// symbolic link as its last component and not waiting for a FIFO's reader.
func openAppendNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
}
