package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// keyExpiryDays are the lifetimes offered for API keys, cut at the configured maximum.
func (h *Handler) keyExpiryOptions() []views.Option {
	max := h.Cfg.Signer.Config().KeyMaxLifetime
	var days []int
	for _, d := range []int{7, 30, 90, 180, 365, 730} {
		if time.Duration(d)*24*time.Hour <= max {
			days = append(days, d)
		}
	}
	if len(days) == 0 {
		days = []int{int(max.Hours() / 24)}
	}
	return dayOptions(days...)
}

// apiKeysVM builds the project page's API keys section; grants are the project's.
func (h *Handler) apiKeysVM(c echo.Context, p *models.ProjectView, grants []models.GrantInfo) (views.APIKeysVM, error) {
	keys, err := h.Store.APIKeys(c.Request().Context(), actor(c), p.ID)
	if err != nil {
		return views.APIKeysVM{}, err
	}
	now := h.Store.Now()
	vm := views.APIKeysVM{ProjectID: p.ID, CanManage: p.MyRole.Can(models.ActKeyManage),
		StatusListTTL: h.Cfg.Signer.Config().StatusListTTL}
	for _, k := range keys {
		vm.Keys = append(vm.Keys, views.APIKeyRow{LastUsedAt: k.LastUsedAt, ID: k.ID, Name: k.Name, Scopes: fields(k.Scopes), Audiences: fields(k.Audiences),
			CreatedBy: k.CreatedByLabel, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt,
			RevokedReason: k.RevokedReason, Status: k.Status(now), JKT: k.JKT})
	}
	opts := h.keyExpiryOptions()
	vm.Form = views.APIKeyForm{ExpiryOptions: opts, ExpiresIn: defaultExpiry(opts, "90"), FormToken: models.NewIdempotencyKey()}
	for _, g := range grants {
		if !g.AcceptsAPIKeys {
			continue
		}
		opt := views.KeyAPIOption{ID: g.APIID, Name: g.APIName, Identifier: g.Identifier}
		for _, s := range g.ScopeList() {
			opt.Scopes = append(opt.Scopes, views.Checkbox{Value: s, Label: s})
		}
		vm.Form.APIs = append(vm.Form.APIs, opt)
	}
	if len(vm.Form.APIs) > 0 {
		vm.Form.API = vm.Form.APIs[0].ID
	}
	return vm, nil
}

// defaultExpiry picks want if offered, else the longest offered option.
func defaultExpiry(opts []views.Option, want string) string {
	for _, o := range opts {
		if o.Value == want {
			return want
		}
	}
	return opts[len(opts)-1].Value
}

// createKey handles "POST /projects/:project/keys". The key is shown once, on a page
// of its own with snippets that use it, in this no-store response.
func (h *Handler) createKey(c echo.Context) error {
	form := formValues(c)
	project, token := c.Param("project"), form.Get("form_token")
	in := models.APIKeyInput{Name: form.Get("name"), API: form.Get("api"), Scopes: form["scopes"], TTL: lifetimeDays(form.Get("expires_in_days")),
		PublicKey: form.Get("public_key")}
	key, plain, err := h.Store.CreateAPIKey(c.Request().Context(), actor(c), project, in, token)
	if _, dup := duplicate(err); dup {
		return h.redirectWithFlash(c, views.ProjectAnchor(project, "api-keys"), "info",
			"That form was already submitted. The key was shown once; create another if you did not copy it.")
	}
	if f := validation(err); f != nil {
		return h.renderProject(c, http.StatusUnprocessableEntity, views.ProjectTabKeys, func(vm *views.ProjectVM) {
			k := &vm.APIKeys.Form
			k.Name, k.ExpiresIn, k.FormToken, k.Errors = in.Name, form.Get("expires_in_days"), token, f
			if f["public_key"] == "" {
				// A valid public key comes back; a refused one does not (it may be a private key).
				k.PublicKey = in.PublicKey
			}
			for i := range k.APIs {
				if k.APIs[i].ID == in.API {
					k.API = in.API
					check(k.APIs[i].Scopes, in.Scopes)
				}
			}
		})
	}
	if err != nil {
		return err
	}
	h.Metrics.Keys.Inc()
	httpx.NoStore(c)
	pv, err := h.Store.ProjectFor(c.Request().Context(), actor(c), project)
	if err != nil {
		return err
	}
	return httpx.Render(c, http.StatusOK, views.KeyCreatedPage(h.page(c, "API key created"), views.KeyCreatedVM{
		ProjectID: pv.ID, ProjectName: pv.Name, Audience: key.Audiences, Scopes: fields(key.Scopes),
		Key: views.NewAPIKey{ID: key.ID, Name: key.Name, Key: plain, ExpiresAt: key.ExpiresAt, JKT: key.JKT,
			Snippets: h.keySnippets(plain, key.Audiences, in.PublicKey)},
	}))
}

// check sets each checkbox's state from the submitted values.
func check(boxes []views.Checkbox, values []string) {
	for i := range boxes {
		boxes[i].Checked = false
		for _, v := range values {
			if boxes[i].Value == v {
				boxes[i].Checked = true
			}
		}
	}
}
