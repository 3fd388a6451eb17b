package devoidc

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/zitadel/oidc/v3/pkg/op"
)

const (
	maxEmailLen   = 254
	maxNameRunes  = 100
	maxFormBytes  = 16 << 10
	msgUnknownReq = "Unknown or expired sign-in request. Start the sign-in again from the application.\n"
)

//go:embed templates/*.html
var templateFS embed.FS

var templates = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// loginPage is the data of templates/login.html.
type loginPage struct {
	Action   string
	ID       string
	ClientID string
	Email    string
	Name     string
	Error    string
}

// Subject returns the subject the provider assigns to email: "dev_" followed
// by the hex encoding of the first 16 bytes of SHA-256 of the trimmed,
// lower-cased email. It is stable across restarts.
func Subject(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return "dev_" + hex.EncodeToString(sum[:16])
}

// serveLogin renders the login form (GET) and completes the auth request (POST).
func (p *Provider) serveLogin(w http.ResponseWriter, r *http.Request) {
	setPageHeaders(w)
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		id := r.URL.Query().Get("authRequestID")
		clientID, ok := p.storage.pendingClientID(id)
		if !ok {
			http.Error(w, msgUnknownReq, http.StatusBadRequest)
			return
		}
		p.renderLogin(w, http.StatusOK, loginPage{ID: id, ClientID: clientID})
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "Cannot parse the form.\n", http.StatusBadRequest)
			return
		}
		id := r.PostForm.Get("authRequestID")
		if id == "" {
			id = r.URL.Query().Get("authRequestID")
		}
		clientID, ok := p.storage.pendingClientID(id)
		if !ok {
			http.Error(w, msgUnknownReq, http.StatusBadRequest)
			return
		}
		page := loginPage{ID: id, ClientID: clientID, Email: r.PostForm.Get("email"), Name: r.PostForm.Get("name")}
		u, err := userFromForm(page.Email, page.Name)
		if err != nil {
			page.Error = err.Error()
			p.renderLogin(w, http.StatusBadRequest, page)
			return
		}
		if err := p.storage.completeAuthRequest(id, u); err != nil {
			http.Error(w, msgUnknownReq, http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, op.AuthCallbackURL(p.op)(r.Context(), id), http.StatusSeeOther)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "Method not allowed.\n", http.StatusMethodNotAllowed)
	}
}

func (p *Provider) renderLogin(w http.ResponseWriter, status int, page loginPage) {
	page.Action = p.prefix + LoginPath
	var buf strings.Builder
	if err := templates.ExecuteTemplate(&buf, "login.html", page); err != nil {
		http.Error(w, "Cannot render the sign-in page.\n", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(buf.String()))
}

// serveLoggedOut is where op's end_session endpoint sends the browser when
// no post_logout_redirect_uri applies.
func (p *Provider) serveLoggedOut(w http.ResponseWriter, r *http.Request) {
	setPageHeaders(w)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method not allowed.\n", http.StatusMethodNotAllowed)
		return
	}
	var buf strings.Builder
	if err := templates.ExecuteTemplate(&buf, "logged_out.html", nil); err != nil {
		http.Error(w, "Cannot render the page.\n", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(buf.String()))
}

// setPageHeaders sets conservative headers for the provider's HTML pages. A
// Content-Security-Policy already set by the surrounding application is kept.
func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if h.Get("Content-Security-Policy") == "" {
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'")
	}
}

// formError is a user-facing message shown on the login form.
type formError string

func (e formError) Error() string { return string(e) }

// userFromForm validates the login form. Any syntactically plausible email
// is accepted: exactly one '@' with text on both sides, at most 254
// characters, no whitespace or control characters. The email is lower-cased.
// An empty display name defaults to the part of the email before '@'.
func userFromForm(rawEmail, rawName string) (user, error) {
	email := strings.TrimSpace(rawEmail)
	switch {
	case email == "":
		return user{}, formError("Enter an email address.")
	case !utf8.ValidString(email):
		return user{}, formError("The email address is not valid text.")
	case len(email) > maxEmailLen:
		return user{}, formError("The email address must be at most 254 characters long.")
	case strings.IndexFunc(email, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return user{}, formError("The email address must not contain spaces.")
	case strings.Count(email, "@") != 1:
		return user{}, formError("The email address must contain exactly one @.")
	}
	email = strings.ToLower(email)
	local, domain, _ := strings.Cut(email, "@")
	if local == "" || domain == "" {
		return user{}, formError("The email address needs text before and after the @.")
	}

	name := strings.TrimSpace(rawName)
	switch {
	case name == "":
		name = local
	case !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		return user{}, formError("The display name contains invalid characters.")
	case utf8.RuneCountInString(name) > maxNameRunes:
		return user{}, formError("The display name must be at most 100 characters long.")
	}
	return user{subject: Subject(email), email: email, name: name}, nil
}
