package securityevents

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// scanner reads JSON from a request body in one pass, without the
// per-token allocations of encoding/json's Decoder.Token.
type scanner struct {
	b []byte
	i int
}

var errEnd = errors.New("invalid JSON: the body ends inside a value")

// peek is the next byte, 0 at the end.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// syntax describes what was expected at the current byte, quoting at most
// that byte.
func (s *scanner) syntax(want string) error {
	if s.i >= len(s.b) {
		return errEnd
	}
	return fmt.Errorf("invalid JSON at byte %d: expected %s, found %q", s.i, want, rune(s.b[s.i]))
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return s.syntax(quoteByte(c))
	}
	s.i++
	return nil
}

func quoteByte(c byte) string { return "'" + string(c) + "'" }

// members reads an object's members, calling member with each name once
// the scanner is at its value; the object starts at the current byte.
func (s *scanner) members(member func(name string) error) error {
	for more := s.open('}'); more; {
		if s.peek() != '"' {
			return s.syntax("a member name")
		}
		name, err := s.str()
		if err != nil {
			return err
		}
		s.space()
		if err := s.expect(':'); err != nil {
			return err
		}
		s.space()
		if err := member(name); err != nil {
			return err
		}
		if more, err = s.next('}'); err != nil {
			return err
		}
	}
	return nil
}

// items reads an array's items, calling item at each; the array starts
// at the current byte.
func (s *scanner) items(item func() error) error {
	for more := s.open(']'); more; {
		if err := item(); err != nil {
			return err
		}
		var err error
		if more, err = s.next(']'); err != nil {
			return err
		}
	}
	return nil
}

// open steps into an object or array, reporting whether it has members
// or items, or ends at once with end.
func (s *scanner) open(end byte) bool {
	s.i++
	s.space()
	if s.peek() == end {
		s.i++
		return false
	}
	return true
}

// next reads what follows a member or an item: a comma before another,
// or end.
func (s *scanner) next(end byte) (bool, error) {
	s.space()
	switch s.peek() {
	case end:
		s.i++
		return false, nil
	case ',':
		s.i++
		s.space()
		return true, nil
	}
	return false, s.syntax("',' or " + quoteByte(end))
}

// str reads a string. One without escapes, control characters or invalid
// UTF-8 is taken as it is; any other is decoded by encoding/json, which
// also replaces invalid UTF-8 as it does everywhere else.
func (s *scanner) str() (string, error) {
	start := s.i
	plain := true
	for s.i++; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			raw := s.b[start+1 : s.i-1]
			if plain && utf8.Valid(raw) {
				return string(raw), nil
			}
			var out string
			if err := json.Unmarshal(s.b[start:s.i], &out); err != nil {
				return "", fmt.Errorf("invalid JSON in the string at byte %d: %w", start, err)
			}
			return out, nil
		case c == '\\':
			plain = false
			s.i++ // the escaped byte cannot end the string
		case c < 0x20:
			plain = false
		}
	}
	return "", errEnd
}

// literal reads true, false or null.
func (s *scanner) literal(word string) error {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		if len(s.b)-s.i < len(word) && string(s.b[s.i:]) == word[:len(s.b)-s.i] {
			return errEnd
		}
		return s.syntax("a value")
	}
	s.i += len(word)
	return nil
}

// numberText reads a number as RFC 8259 writes it.
func (s *scanner) numberText() (string, error) {
	start := s.i
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case c >= '1' && c <= '9':
		s.digits()
	default:
		return "", s.syntax("a value")
	}
	if s.peek() == '.' {
		s.i++
		if !s.digits() {
			return "", s.syntax("a digit")
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return "", s.syntax("a digit")
		}
	}
	return string(s.b[start:s.i]), nil
}

// digits reads one or more digits, reporting whether there was one.
func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}
