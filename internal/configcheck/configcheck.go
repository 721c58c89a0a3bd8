// Package configcheck holds the checks that the exporter and the auth
// extension both make of their settings: header names and values that Go's
// client would refuse only when it sends, and whether a URL leaves the
// machine in clear text.
package configcheck

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// HeaderName refuses a name that is not an HTTP token (RFC 9110 5.1):
// Go's client fails such a request at send time, and the exporter would
// retry it until max_elapsed_time.
func HeaderName(field, name string) error {
	if !httpguts.ValidHeaderFieldName(name) {
		return fmt.Errorf("%s: %q is not a valid HTTP header name; write a name of letters, digits and - with no spaces or colons, e.g. X-API-Key", field, name)
	}
	return nil
}

// Value refuses a header value or secret with a line break or another
// control character (a pasted newline, a YAML block scalar). It never
// quotes the value: it may be a secret.
func Value(field, value string) error {
	if !httpguts.ValidHeaderFieldValue(value) {
		return fmt.Errorf("%s: contains a line break or another control character; remove it (a YAML | block adds a final newline, use a plain or quoted string)", field)
	}
	return nil
}

// ClearText reports whether requests to raw go over plain http:// to a
// host other than this machine, where anyone on the path reads them.
func ClearText(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || !strings.EqualFold(u.Scheme, "http") {
		return false
	}
	return !Loopback(u.Hostname())
}

// Loopback reports whether host names this machine: localhost or a
// loopback address. Other names are not resolved; a name may point
// anywhere.
func Loopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
