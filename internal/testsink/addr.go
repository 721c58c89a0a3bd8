package testsink

import (
	"net"
	"strconv"
	"syscall"
	"testing"
)

// HeldAddr returns a loopback address where nothing listens, held for t:
// a socket bound to it, never listening, stays open until t ends. A port
// that was only free a moment ago can be handed out meanwhile, as another
// listener's or as the source port of any connection on the machine; then
// a test that wants it refused gets an answer, and a collector restarted
// on it, or an endpoint brought up after being down, cannot bind it. The
// kernel hands out no port a socket is bound to, while a listener that
// names it, with SO_REUSEADDR as Go's and the collector's have, binds it
// beside the held socket. Connecting while nothing listens is refused, as
// to a free port.
func HeldAddr(t testing.TB) string {
	t.Helper()
	syscall.ForkLock.RLock()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err == nil {
		// Not inherited by the processes the tests start.
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
}
