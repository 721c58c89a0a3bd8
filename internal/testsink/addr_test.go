package testsink

import (
	"net"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHeldAddr: the address refuses connections, is held (a socket
// without SO_REUSEADDR, as the kernel's own port picking, cannot bind it),
// and a listener naming it binds it, again after the first one closed, as
// a restarted collector does.
func TestHeldAddr(t *testing.T) {
	addr := HeldAddr(t)
	_, err := net.Dial("tcp", addr)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)

	_, portText, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	port, err := strconv.Atoi(portText)
	require.NoError(t, err)
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	defer syscall.Close(fd)
	err = syscall.Bind(fd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
	assert.ErrorIs(t, err, syscall.EADDRINUSE, "a plain bind to the held port")

	for range 2 {
		ln, err := net.Listen("tcp", addr)
		require.NoError(t, err)
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		require.NoError(t, conn.Close())
		require.NoError(t, ln.Close())
	}
}
