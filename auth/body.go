package auth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/golang/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// bufferBody reads the whole body and returns a clone of req that sends
// the same bytes and can be sent again (GetBody), since signing needs the
// bytes before the base transport consumes them.
func bufferBody(req *http.Request) (*http.Request, []byte, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("reading the request body: %w", err)
		}
	}
	out := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		out.ContentLength = int64(len(body))
	}
	return out, body, nil
}

// decodeContent undoes the Content-Encoding that confighttp's compression
// applied outside the authenticator, so a signature can cover the payload
// rather than its compressed form. Codings are undone last first.
func decodeContent(contentEncoding string, body []byte) ([]byte, error) {
	var codings []string
	for c := range strings.SplitSeq(contentEncoding, ",") {
		if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
			codings = append(codings, c)
		}
	}
	slices.Reverse(codings)
	for _, c := range codings {
		var err error
		if body, err = decodeOne(c, body); err != nil {
			return nil, fmt.Errorf("decoding the %s request body to sign it: %w", c, err)
		}
	}
	return body, nil
}

// snappyFramed opens the snappy framing format's stream identifier.
var snappyFramed = []byte{0xff, 0x06, 0x00, 0x00, 's', 'N', 'a', 'P', 'p', 'Y'}

func decodeOne(coding string, body []byte) ([]byte, error) {
	switch coding {
	case "gzip", "x-gzip":
		r, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	case "deflate", "zlib":
		// confighttp writes zlib streams for both names, as HTTP's
		// "deflate" coding means.
		r, err := zlib.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return io.ReadAll(r)
	case "zstd":
		// One decoder per body: no goroutines left running afterwards.
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		defer d.Close()
		return d.DecodeAll(body, nil)
	case "snappy", "x-snappy-framed":
		// confighttp has sent both the block and the framed format under
		// "snappy", depending on a feature gate; the framing header tells.
		if bytes.HasPrefix(body, snappyFramed) {
			return io.ReadAll(snappy.NewReader(bufio.NewReader(bytes.NewReader(body))))
		}
		return snappy.Decode(nil, body)
	case "lz4":
		return io.ReadAll(lz4.NewReader(bytes.NewReader(body)))
	}
	return nil, fmt.Errorf("content encoding %q is not supported", coding)
}
