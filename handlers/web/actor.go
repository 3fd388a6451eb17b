package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// actor is the signed-in user and where the request came from, for the store's
// permission checks and audit events.
func actor(c echo.Context) models.Actor {
	return models.Actor{User: currentUser(c), IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
}

// validation returns the field messages of a validation error, or nil.
func validation(err error) map[string]string {
	var ve *models.ValidationError
	var de *models.Error
	switch {
	case errors.As(err, &ve):
		out := make(map[string]string, len(ve.Fields))
		for f, m := range ve.Fields {
			out[formField(f)] = sentence(f, m)
		}
		return out
	case errors.As(err, &de) && de.Code == models.CodeInvalid && de.Field != "":
		return map[string]string{formField(de.Field): sentence(de.Field, de.Message)}
	}
	return nil
}

// formFields names the forms' fields for the domain's input names where they differ
// (a form says how a duration is typed: in days, in minutes).
var formFields = map[string]string{
	"expires_in":      "expires_in_days",
	"max_key_ttl":     "max_key_ttl_days",
	"max_token_ttl":   "max_token_ttl_minutes",
	"token_ttl":       "token_ttl_minutes",
	"idempotency_key": "form_token",
}

// fieldLabels name the domain's input fields in messages.
var fieldLabels = map[string]string{
	"name": "Name", "description": "Description", "note": "Note", "reason": "Reason", "identifier": "Identifier",
	"docs_url": "Documentation URL", "jwks_uri": "Key set URL", "key": "Key", "role": "Role", "scope": "Scope",
	"scopes": "Scopes", "expires_in": "Expiry", "token_ttl": "Token lifetime", "max_token_ttl": "Token lifetime cap",
	"max_key_ttl": "Key lifetime cap", "api": "API", "label": "Label", "max_uses": "Most registrations",
	"refresh_idle_days": "The idle lifetime", "refresh_absolute_days": "The absolute lifetime",
}

// sentence makes a rule's message a sentence a person reads on its own: "is required"
// on the name becomes "Name is required.", "choose a role" becomes "Choose a role.".
func sentence(field, msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return msg
	}
	switch {
	case strings.HasPrefix(msg, "is ") || strings.HasPrefix(msg, "must "):
		label, ok := fieldLabels[field]
		if !ok {
			label = "This field"
		}
		msg = label + " " + msg
	case strings.HasPrefix(msg, "at most "):
		msg = "Use " + msg
	}
	r, size := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[size:]
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") && !strings.HasSuffix(msg, "!") {
		msg += "."
	}
	return msg
}

// formField is the form field of a domain input name.
func formField(domain string) string {
	if f, ok := formFields[domain]; ok {
		return f
	}
	return domain
}

// formValues returns the posted form. A body that does not parse reads as an empty form:
// the store decides whether the actor may act at all before it looks at the input, so a
// refused actor gets 403 or 404 whatever it sent, and an allowed one gets the form's
// validation messages.
func formValues(c echo.Context) url.Values {
	form, err := c.FormParams()
	if err != nil {
		return url.Values{}
	}
	return form
}

// duplicate returns what the first submission of a double-submitted form created.
func duplicate(err error) (string, bool) {
	var de *models.DuplicateRequestError
	if errors.As(err, &de) {
		return de.Result, true
	}
	return "", false
}

// redirectWithFlash queues a message and sends the browser to target (Post/Redirect/Get).
func (h *Handler) redirectWithFlash(c echo.Context, target, kind, msg string) error {
	if err := h.flash(c, kind, msg); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// roleOptions turns roles into select options.
func roleOptions(roles []models.Role) []views.RoleOption {
	out := make([]views.RoleOption, len(roles))
	for i, r := range roles {
		out[i] = views.RoleOption{Value: string(r), Label: roleLabel(r)}
	}
	return out
}

// roleLabel is a role as shown to people.
func roleLabel(r models.Role) string {
	switch r {
	case models.RoleOwner:
		return "Owner"
	case models.RoleAdmin:
		return "Admin"
	case models.RoleDeveloper:
		return "Developer"
	case models.RoleViewer:
		return "Viewer"
	}
	return string(r)
}

// dayOptions are the lifetimes offered by a form; value "0" means no expiry.
func dayOptions(days ...int) []views.Option {
	out := make([]views.Option, 0, len(days))
	for _, d := range days {
		label := strconv.Itoa(d) + " days"
		switch d {
		case 0:
			label = "Never"
		case 1:
			label = "1 day"
		case 365:
			label = "1 year"
		}
		out = append(out, views.Option{Value: strconv.Itoa(d), Label: label})
	}
	return out
}

// lifetimeDays reads a lifetime typed or chosen in days. The domain decides which
// lifetimes are allowed (after it has decided whether the actor may act at all); a value
// that is not a whole number of days is models.InvalidLifetime, which it refuses.
func lifetimeDays(raw string) time.Duration {
	d, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || d < 0 || d > 100*366 {
		return models.InvalidLifetime
	}
	return time.Duration(d) * 24 * time.Hour
}

// confirmedName reports whether the form's confirm_name is the object's name (the
// confirmation of a delete; spaces around it do not count).
func confirmedName(c echo.Context, name string) bool {
	return strings.TrimSpace(c.FormValue("confirm_name")) == strings.TrimSpace(name)
}

// deleteRefusal is what a delete whose typed name did not match says.
func deleteRefusal(what, name string) string {
	return "Nothing was deleted. To delete this " + what + ", type its name, “" + name + "”, exactly as shown."
}
