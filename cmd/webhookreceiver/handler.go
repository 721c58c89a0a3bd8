package main

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// maxBody bounds what one request may send, well above what the exporter
// sends in one batch.
const maxBody = 64 << 20

// handler answers every request with the configured status and prints it.
type handler struct {
	opts options
	now  func() time.Time
	// mu keeps the output of concurrent requests from interleaving.
	mu  sync.Mutex
	out io.Writer
}

func newHandler(out io.Writer, o options) *handler {
	return &handler{opts: o, now: time.Now, out: out}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(raw) > maxBody {
		http.Error(w, "body larger than 64 MiB", http.StatusRequestEntityTooLarge)
		return
	}
	body, decodeNote := decode(r.Header.Get("Content-Encoding"), raw)

	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s  (from %s at %s)\n", r.Method, r.URL.RequestURI(), r.RemoteAddr, h.now().UTC().Format(time.RFC3339))
	writeHeaders(&b, r.Header, h.opts.verify.header)
	if verdict := h.opts.verify.verdict(r.Header, raw, body, decodeNote == ""); verdict != "" {
		fmt.Fprintf(&b, "  signature: %s\n", verdict)
	}
	if decodeNote != "" {
		fmt.Fprintf(&b, "  (%s)\n", decodeNote)
	}
	writeBody(&b, body)
	b.WriteByte('\n')

	h.mu.Lock()
	_, _ = h.out.Write(b.Bytes())
	h.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(h.opts.status)
	_, _ = io.WriteString(w, `{"status":"received"}`)
}

// decode undoes the Content-Encodings that the standard library reads. For
// others it returns the body as received and a note saying so.
func decode(encoding string, raw []byte) ([]byte, string) {
	var rd io.ReadCloser
	var err error
	switch enc := strings.ToLower(strings.TrimSpace(encoding)); enc {
	case "", "identity":
		return raw, ""
	case "gzip":
		rd, err = gzip.NewReader(bytes.NewReader(raw))
	case "deflate":
		// HTTP's deflate is zlib-wrapped; some senders send it bare.
		rd, err = zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			rd, err = flate.NewReader(bytes.NewReader(raw)), nil
		}
	default:
		return raw, fmt.Sprintf("Content-Encoding %s is not decoded here; body shown as received, %d bytes", enc, len(raw))
	}
	if err != nil {
		return raw, fmt.Sprintf("Content-Encoding %s does not decode (%v); body shown as received", encoding, err)
	}
	defer rd.Close()
	out, err := io.ReadAll(io.LimitReader(rd, maxBody))
	if err != nil {
		return raw, fmt.Sprintf("Content-Encoding %s does not decode (%v); body shown as received", encoding, err)
	}
	return out, ""
}

// writeHeaders prints the headers sorted by name, secrets redacted.
func writeHeaders(b *bytes.Buffer, hdr http.Header, signatureHeader string) {
	names := make([]string, 0, len(hdr))
	for name := range hdr {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range hdr[name] {
			fmt.Fprintf(b, "  %s: %s\n", name, redact(name, v, signatureHeader))
		}
	}
}
