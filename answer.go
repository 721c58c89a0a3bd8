package webhookexporter

import (
	"errors"
	"io"

	"github.com/sentyr/webhookexporter/formats"
)

// readAnswerBody reads an answer of at most limit bytes. A format that can
// settle a 2xx answer from its head (formats.HeadSettler) gets the head
// alone when it does: the rest is read off the connection, so that the
// connection is reused, into a buffer that is not kept. A _bulk answer
// has an item for every document, most of its length, which would
// otherwise be kept, copied as it grows and collected on every push.
func readAnswerBody(body io.Reader, status int, limit int64, reader formats.ResponseReader) ([]byte, error) {
	hs, ok := reader.(formats.HeadSettler)
	if !ok || status < 200 || status > 299 {
		return io.ReadAll(io.LimitReader(body, limit))
	}
	head := make([]byte, formats.AnswerHead)
	n, err := io.ReadFull(body, head)
	head = head[:n]
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return head, nil // the whole answer
	}
	if err != nil {
		return head, err
	}
	if hs.Settled(status, head) {
		// Bounded as a kept answer is: a receiver that never ends its
		// answer does not hold the request.
		_, err := io.Copy(io.Discard, io.LimitReader(body, limit-int64(n)))
		return head, err
	}
	rest, err := io.ReadAll(io.LimitReader(body, limit-int64(n)))
	return append(head, rest...), err
}
