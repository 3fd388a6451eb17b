package web

import (
	"net/url"
	"strings"
)

// safeReturnTo keeps a post-sign-in destination only if it is a path on this site:
// it must start with one "/", contain no backslash, control character or scheme, and
// still be a bare path after decoding. Anything else ("//evil", "/\\evil",
// "https://evil", "javascript:…", encoded variants) becomes "/".
func safeReturnTo(raw string) string {
	if raw == "" || len(raw) > 2048 {
		return "/"
	}
	for _, s := range []string{raw, decodeAll(raw)} {
		if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\") {
			return "/"
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f {
				return "/"
			}
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	if strings.HasPrefix(u.Path, "/login") || strings.HasPrefix(u.Path, "/auth/") {
		return "/" // never loop back into the sign-in flow
	}
	return u.RequestURI()
}

// decodeAll percent-decodes s until it stops changing (bounded), so double-encoded
// tricks like "/%252F%252Fevil" are judged by what they finally mean.
func decodeAll(s string) string {
	for i := 0; i < 4; i++ {
		d, err := url.PathUnescape(s)
		if err != nil || d == s {
			return d
		}
		s = d
	}
	return s
}
