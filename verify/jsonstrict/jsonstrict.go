// Package jsonstrict checks that a JSON object names each member exactly once and
// spells the names a program reads exactly, before encoding/json decodes it.
//
// encoding/json matches member names to struct fields without regard to case, with
// Unicode folding ("ſub" fills the field tagged "sub", the Kelvin sign stands for
// "K"), and keeps the last of duplicate members. So {"aud":"a","AUD":"b"} and
// {"aud":"a","aud":"b"} mean "b" to a Go program and "a" (or an error) to others. RFC
// 7515 §5.2 and RFC 8725 ask for exact names and for rejecting duplicates; Check
// rejects, in one pass over the input:
//
//   - anything that is not a single well-formed JSON object (ErrSyntax);
//   - objects or arrays nested deeper than MaxDepth (ErrDepth);
//   - a member name that is not valid UTF-8 (ErrInvalidName);
//   - a member name that differs from one of the known Names but that encoding/json
//     would match to it (ErrCaseVariant), at any depth;
//   - two members of one object with the same name (ErrDuplicate), at any depth.
//
// Names are compared after JSON unescaping, as encoding/json unescapes them, so
// "\u0061ud" is "aud". Check allocates nothing unless a member name contains an escape
// or an object has more than a few dozen members.
package jsonstrict

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of objects and arrays Check accepts; the top-level
// object is depth 1.
const MaxDepth = 64

// Reasons Check rejects input. Check wraps them with detail; test with errors.Is.
var (
	// ErrSyntax: the input is not exactly one well-formed JSON object.
	ErrSyntax = errors.New("jsonstrict: not a well-formed JSON object")
	// ErrDepth: objects and arrays are nested deeper than MaxDepth.
	ErrDepth = errors.New("jsonstrict: nested too deeply")
	// ErrInvalidName: a member name is not valid UTF-8.
	ErrInvalidName = errors.New("jsonstrict: member name is not valid UTF-8")
	// ErrCaseVariant: a member name is not a known name but differs from one only in
	// case or by Unicode folding, so encoding/json would take it for that name.
	ErrCaseVariant = errors.New("jsonstrict: member name is a case variant of a known name")
	// ErrDuplicate: one object has two members of the same name.
	ErrDuplicate = errors.New("jsonstrict: duplicate member name")
)

// Names is a set of member names that must be spelled exactly: typically the JSON
// names of the struct fields the input is decoded into. Build it once with NewNames.
// The zero Names knows no name (Check then only looks for duplicates).
type Names struct {
	slots [][]string // ASCII names by asciiSlot: the fast path
	all   []string
	foldA []string // all, folded as encoding/json folds (unicode.SimpleFold orbits)
	foldB []string // all, folded as Go 1.21 to 1.25 folded (upper case of lower case)
	slow  bool     // a name is not ASCII: every member name takes the general comparison
}

// nSlots is the size of the fast path's table (a power of two).
const nSlots = 64

// asciiSlot hashes an ASCII name so that names differing only in the case of letters
// fall in the same slot.
func asciiSlot(name []byte) int {
	n := len(name)
	if n == 0 {
		return 0
	}
	h := uint(n)*0x9e + uint(name[0]|0x20)*7 + uint(name[n-1]|0x20)*131 + uint(name[n/2]|0x20)*17
	return int(h % nSlots)
}

// NewNames returns the set of names.
func NewNames(names ...string) Names {
	n := Names{all: append([]string(nil), names...), slots: make([][]string, nSlots)}
	for _, s := range names {
		n.foldA = append(n.foldA, foldString(s, foldA))
		n.foldB = append(n.foldB, foldString(s, foldB))
		if !isASCII(s) {
			n.slow = true
			continue
		}
		h := asciiSlot([]byte(s))
		n.slots[h] = append(n.slots[h], s)
	}
	return n
}

// variantOf returns the known name that name is a case variant of, if any. A name
// that is exactly known is not a variant.
func (n *Names) variantOf(name []byte, ascii bool) (string, bool) {
	if ascii && !n.slow {
		if n.slots == nil {
			return "", false
		}
		for _, k := range n.slots[asciiSlot(name)] {
			if len(k) != len(name) {
				continue
			}
			switch compareASCII(name, k) {
			case same:
				return "", false
			case folded:
				return k, true
			}
		}
		return "", false
	}
	for _, k := range n.all {
		if string(name) == k {
			return "", false
		}
	}
	for i, k := range n.all {
		if equalFolded(name, n.foldA[i], foldA) || equalFolded(name, n.foldB[i], foldB) {
			return k, true
		}
	}
	return "", false
}

// Results of compareASCII.
const (
	different = iota
	same
	folded
)

// compareASCII compares an ASCII name with an ASCII known name of the same length.
func compareASCII(name []byte, k string) int {
	r := same
	for i := 0; i < len(k); i++ {
		c, d := name[i], k[i]
		if c == d {
			continue
		}
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if 'a' <= d && d <= 'z' {
			d -= 'a' - 'A'
		}
		if c != d {
			return different
		}
		r = folded
	}
	return r
}

// foldA folds a rune as encoding/json does when it matches names (foldName in
// encoding/json/fold.go, and strings.EqualFold in the json/v2-based implementation):
// ASCII letters to upper case, other runes to the smallest rune of their
// unicode.SimpleFold orbit ("ſ" → "S", Kelvin sign → "K").
func foldA(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		return r
	}
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

// foldB folds a rune as encoding/json did from Go 1.21 to 1.25: upper case of lower
// case, which also takes "ı" (U+0131) and "İ" (U+0130) to "I". Checking both foldings
// keeps a program safe whichever toolchain builds it.
func foldB(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		return r
	}
	return unicode.ToUpper(unicode.ToLower(r))
}

// foldString folds every rune of s.
func foldString(s string, fold func(rune) rune) string {
	var b []byte
	for _, r := range s {
		b = utf8.AppendRune(b, fold(r))
	}
	return string(b)
}

// equalFolded reports whether name (valid UTF-8), folded rune by rune, is want.
func equalFolded(name []byte, want string, fold func(rune) rune) bool {
	var buf [utf8.UTFMax]byte
	j := 0
	for i := 0; i < len(name); {
		r, size := utf8.DecodeRune(name[i:])
		i += size
		m := utf8.EncodeRune(buf[:], fold(r))
		if j+m > len(want) || string(buf[:m]) != want[j:j+m] {
			return false
		}
		j += m
	}
	return j == len(want)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// smallObject is how many names of one object are compared pairwise; beyond it the
// object's names go into a map.
const smallObject = 32

// frame is an open object or array.
type frame struct {
	array bool
	start int                 // index in names of this object's first name
	set   map[string]struct{} // this object's names once it has more than smallObject
}

// Parser states.
const (
	stValue  = iota // a value starts here (after whitespace)
	stAfter         // a value just ended
	stMember        // a member name starts here (after whitespace)
)

// Check reports whether data is one JSON object whose member names are valid UTF-8,
// unique within their object, and never a case variant of a known name, nested at most
// MaxDepth deep. The error wraps one of the package's Err values.
func Check(data []byte, known Names) error {
	var nameBuf [smallObject][]byte
	names := nameBuf[:0] // names of the open objects still compared pairwise, outermost first
	var frames [MaxDepth]frame
	depth := 0
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return syntaxError(data, i)
	}
	state := stValue
	for {
		switch state {
		case stValue:
			i = skipSpace(data, i)
			if i >= len(data) {
				return syntaxError(data, i)
			}
			switch c := data[i]; {
			case c == '{' || c == '[':
				if depth == MaxDepth {
					return fmt.Errorf("%w: more than %d levels at offset %d", ErrDepth, MaxDepth, i)
				}
				frames[depth] = frame{array: c == '[', start: len(names)}
				depth++
				i = skipSpace(data, i+1)
				switch {
				case i < len(data) && data[i] == '}' && c == '{', i < len(data) && data[i] == ']' && c == '[':
					depth--
					i++
					state = stAfter
				case c == '{':
					state = stMember
				}
				continue
			case c == '"':
				end, _, ok := scanString(data, i)
				if !ok {
					return syntaxError(data, i)
				}
				i = end
			case c == '-' || '0' <= c && c <= '9':
				end, ok := scanNumber(data, i)
				if !ok {
					return syntaxError(data, i)
				}
				i = end
			case c == 't':
				if !hasLiteral(data, i, "true") {
					return syntaxError(data, i)
				}
				i += 4
			case c == 'f':
				if !hasLiteral(data, i, "false") {
					return syntaxError(data, i)
				}
				i += 5
			case c == 'n':
				if !hasLiteral(data, i, "null") {
					return syntaxError(data, i)
				}
				i += 4
			default:
				return syntaxError(data, i)
			}
			state = stAfter

		case stAfter:
			i = skipSpace(data, i)
			if depth == 0 {
				if i != len(data) {
					return syntaxError(data, i)
				}
				return nil
			}
			if i >= len(data) {
				return syntaxError(data, i)
			}
			f := &frames[depth-1]
			switch c := data[i]; {
			case c == ',':
				i++
				if f.array {
					state = stValue
				} else {
					i = skipSpace(data, i)
					state = stMember
				}
			case c == ']' && f.array, c == '}' && !f.array:
				names = names[:f.start]
				f.set = nil
				depth--
				i++
			default:
				return syntaxError(data, i)
			}

		case stMember:
			if i >= len(data) || data[i] != '"' {
				return syntaxError(data, i)
			}
			start := i
			end, flags, ok := scanString(data, i)
			if !ok {
				return syntaxError(data, i)
			}
			name := data[i+1 : end-1]
			ascii := flags&nonASCII == 0
			if !ascii && !utf8.Valid(name) {
				return fmt.Errorf("%w: at offset %d", ErrInvalidName, start)
			}
			if flags&escaped != 0 {
				name = unescape(name)
				ascii = isASCII(string(name))
			}
			if k, ok := known.variantOf(name, ascii); ok {
				return fmt.Errorf("%w: %s for %q at offset %d", ErrCaseVariant, quote(name), k, start)
			}
			f := &frames[depth-1]
			if f.set == nil {
				for _, n := range names[f.start:] {
					if string(n) == string(name) {
						return fmt.Errorf("%w: %s at offset %d", ErrDuplicate, quote(name), start)
					}
				}
				if len(names)-f.start < smallObject {
					names = append(names, name)
				} else {
					f.set = make(map[string]struct{}, 4*smallObject)
					for _, n := range names[f.start:] {
						f.set[string(n)] = struct{}{}
					}
					f.set[string(name)] = struct{}{}
					names = names[:f.start]
				}
			} else {
				if _, dup := f.set[string(name)]; dup {
					return fmt.Errorf("%w: %s at offset %d", ErrDuplicate, quote(name), start)
				}
				f.set[string(name)] = struct{}{}
			}
			i = skipSpace(data, end)
			if i >= len(data) || data[i] != ':' {
				return syntaxError(data, i)
			}
			i++
			state = stValue
		}
	}
}

// syntaxError reports where the input stops being a JSON object.
func syntaxError(data []byte, i int) error {
	if i >= len(data) {
		return fmt.Errorf("%w: unexpected end at offset %d", ErrSyntax, len(data))
	}
	return fmt.Errorf("%w: unexpected %q at offset %d", ErrSyntax, data[i], i)
}

// quote quotes a member name for an error message, bounded in length.
func quote(name []byte) string {
	if len(name) > 40 {
		return fmt.Sprintf("%q…", name[:40])
	}
	return fmt.Sprintf("%q", name)
}

// skipSpace skips JSON whitespace.
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// hasLiteral reports whether lit is at data[i:].
func hasLiteral(data []byte, i int, lit string) bool {
	return len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit
}

// Flags of scanString.
const (
	escaped  = 1 << iota // the string has a backslash escape
	nonASCII             // the string has a byte of 0x80 or more
)

// scanString scans the string whose opening quote is at data[i] and returns the offset
// after its closing quote. Escapes must be JSON escapes and control characters are not
// allowed; bytes of 0x80 and more are not checked here.
func scanString(data []byte, i int) (end int, flags int, ok bool) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for i++; ; {
		// Eight bytes at a time while all are plain. A byte of 0x80 or more sets its
		// high bit in w. Otherwise every byte is below 0x80, and a byte below 0x20 (or
		// equal to the quote, or to the backslash, in q or b: zero there) is the first
		// to borrow in the subtraction, which sets its high bit; no borrow happens
		// without one.
		for len(data)-i >= 8 {
			w := binary.LittleEndian.Uint64(data[i:])
			q, b := w^(ones*'"'), w^(ones*'\\')
			if ((w-ones*' ')|(q-ones)|(b-ones)|w)&highs != 0 {
				break
			}
			i += 8
		}
		for i < len(data) && plain[data[i]] {
			i++
		}
		if i >= len(data) {
			return 0, 0, false
		}
		switch c := data[i]; {
		case c == '"':
			return i + 1, flags, true
		case c == '\\':
			flags |= escaped
			if i+1 >= len(data) {
				return 0, 0, false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(data)-i < 6 || hex4(data[i+2:i+6]) < 0 {
					return 0, 0, false
				}
				i += 6
			default:
				return 0, 0, false
			}
		case c >= utf8.RuneSelf:
			flags |= nonASCII
			i++
		default: // a control character
			return 0, 0, false
		}
	}
}

// plain are the bytes a string holds as they are: ASCII but for the quote, the
// backslash and control characters.
var plain = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanNumber scans the number at data[i:] (JSON grammar) and returns its end.
func scanNumber(data []byte, i int) (int, bool) {
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && '1' <= data[i] && data[i] <= '9':
		i = skipDigits(data, i+1)
	default:
		return 0, false
	}
	if i < len(data) && data[i] == '.' {
		j := skipDigits(data, i+1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := skipDigits(data, i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

// skipDigits skips decimal digits.
func skipDigits(data []byte, i int) int {
	for i < len(data) && '0' <= data[i] && data[i] <= '9' {
		i++
	}
	return i
}

// hex4 decodes four hexadecimal digits, or returns -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// unescape decodes the escapes of a string's contents (already checked by scanString,
// and valid UTF-8) exactly as encoding/json does: an unpaired surrogate becomes U+FFFD.
func unescape(s []byte) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		switch s[i+1] {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(s[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				if len(s)-i >= 6 && s[i] == '\\' && s[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, hex4(s[i+2:i+6])); dec != unicode.ReplacementChar {
						b = utf8.AppendRune(b, dec)
						i += 6
						continue
					}
				}
				r = unicode.ReplacementChar
			}
			b = utf8.AppendRune(b, r)
			continue
		default: // '"', '\\', '/'
			b = append(b, s[i+1])
		}
		i += 2
	}
	return b
}
