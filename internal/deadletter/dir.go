package deadletter

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// CheckDirectory checks at load, creating nothing, that the
// start can create dir or use it: the nearest part of its path that exists
// must be a directory this process may create files in. The start then
// creates what is missing and checks the file itself.
func CheckDirectory(dir string) error {
	const other = "name a directory the collector may write to"
	target := filepath.Clean(dir)
	for p := target; ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) && filepath.Dir(p) != p {
			continue
		}
		// What stands in the way, and how to clear it.
		var why, fix string
		switch {
		case err != nil:
			why, fix = err.Error(), other
		case !st.IsDir():
			why, fix = p+" is not a directory", other
		default:
			err := mayCreateIn(p)
			if err == nil {
				return nil
			}
			why, fix = fmt.Sprintf("%s is not writable by the collector (%v)", p, err), "let the collector's user write to it, or "+other
			if p != target {
				fix = "create " + target + " for the collector's user, or " + other
			}
		}
		return fmt.Errorf("dead_letter::directory: %s cannot be used: %s; %s", dir, why, fix)
	}
}
