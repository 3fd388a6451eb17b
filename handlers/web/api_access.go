package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// grantAccess handles "POST /apis/:api/grants": an owner or admin of the API's team
// grants one of the team's projects access.
func (h *Handler) grantAccess(c echo.Context) error {
	form := formValues(c)
	project, scopes := form.Get("project"), nonNil(form["scopes"])
	_, revoked, err := h.Store.GrantAccess(c.Request().Context(), actor(c), c.Param("api"), project, scopes)
	if f := validation(err); f != nil {
		return h.renderAPI(c, http.StatusUnprocessableEntity, func(vm *views.APIPageVM) {
			vm.GrantForm.Project, vm.GrantForm.Errors = project, f
			check(vm.GrantForm.Scopes, scopes)
		})
	}
	if err != nil {
		return err
	}
	return h.afterRevocations(c, revoked, "Access granted. The project can get credentials for this API now.")
}

// updateGrant handles "POST /apis/:api/grants/:grant": set the scopes of a grant.
// Narrowing revokes the project's keys that carry a scope it no longer has.
func (h *Handler) updateGrant(c echo.Context) error {
	scopes := nonNil(formValues(c)["scopes"])
	revoked, err := h.Store.UpdateGrant(c.Request().Context(), actor(c), c.Param("api"), c.Param("grant"), scopes)
	if f := validation(err); f != nil {
		return h.redirectWithFlash(c, views.APIAnchor(c.Param("api"), "grants"), "error", firstMessage(f))
	}
	if err != nil {
		return err
	}
	return h.afterRevocations(c, revoked, "Scopes saved. New tokens carry only these scopes.")
}

// revokeGrant handles "POST /apis/:api/grants/:grant/revoke".
func (h *Handler) revokeGrant(c echo.Context) error {
	revoked, err := h.Store.RevokeGrant(c.Request().Context(), actor(c), c.Param("api"), c.Param("grant"))
	if err != nil {
		return err
	}
	return h.afterRevocations(c, revoked, "Access revoked. The project can no longer get credentials for this API.")
}

// requestAccess handles "POST /apis/:api/requests": ask, for one of the user's
// projects, for access to the API.
func (h *Handler) requestAccess(c echo.Context) error {
	form := formValues(c)
	in := views.AccessRequestForm{Project: form.Get("project"), Reason: form.Get("reason"), FormToken: form.Get("form_token")}
	scopes := nonNil(form["scopes"])
	_, err := h.Store.RequestAccess(c.Request().Context(), actor(c), c.Param("api"), in.Project, scopes, in.Reason, in.FormToken)
	if _, dup := duplicate(err); dup {
		return h.redirectWithFlash(c, views.APIAnchor(c.Param("api"), "request"), "info", "That request was already sent.")
	}
	if f := validation(err); f != nil {
		return h.renderAPI(c, http.StatusUnprocessableEntity, func(vm *views.APIPageVM) {
			in.Projects, in.Scopes, in.Errors = vm.RequestForm.Projects, vm.RequestForm.Scopes, f
			check(in.Scopes, scopes)
			vm.RequestForm = in
		})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.APIAnchor(c.Param("api"), "request"), "success",
		"Request sent. The API's team decides it; you will see the decision here and on the project page.")
}

// approveRequest handles "POST /apis/:api/requests/:request/approve".
func (h *Handler) approveRequest(c echo.Context) error {
	form := formValues(c)
	return h.decide(c, models.Decision{Approve: true, Scopes: nonNil(form["scopes"]), Note: form.Get("note")})
}

// denyRequest handles "POST /apis/:api/requests/:request/deny".
func (h *Handler) denyRequest(c echo.Context) error {
	return h.decide(c, models.Decision{Note: formValues(c).Get("note")})
}

// decide applies a decision on an access request of the API named in the path.
func (h *Handler) decide(c echo.Context, d models.Decision) error {
	_, revoked, err := h.Store.DecideRequest(c.Request().Context(), actor(c), c.Param("api"), c.Param("request"), d)
	api := views.APIAnchor(c.Param("api"), "requests")
	switch {
	case errors.Is(err, models.ErrRequestDecided):
		return h.redirectWithFlash(c, api, "info", "That request was already decided or withdrawn.")
	case errors.Is(err, models.ErrRequestWithdrawn):
		return h.redirectWithFlash(c, api, "error",
			"Not approved: the person who asked can no longer request access for that project, so the request was withdrawn.")
	}
	if f := validation(err); f != nil {
		return h.redirectWithFlash(c, api, "error", firstMessage(f))
	}
	if err != nil {
		return err
	}
	if !d.Approve {
		return h.afterRevocations(c, revoked, "Request denied. The project's team sees your note.")
	}
	return h.afterRevocations(c, revoked, "Request approved. The project can get credentials for this API now.")
}

// withdrawRequest handles "POST /projects/:project/requests/:request/withdraw".
func (h *Handler) withdrawRequest(c echo.Context) error {
	project := c.Param("project")
	err := h.Store.WithdrawRequest(c.Request().Context(), actor(c), project, c.Param("request"))
	if errors.Is(err, models.ErrRequestDecided) {
		return h.redirectWithFlash(c, views.ProjectAnchor(project, "apis"), "info", "That request was already decided or withdrawn.")
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.ProjectAnchor(project, "apis"), "success", "Request withdrawn.")
}

// projectAPIsVM builds a project page's APIs section.
func (h *Handler) projectAPIsVM(c echo.Context, p *models.ProjectView, grants []models.GrantInfo) (views.ProjectAPIsVM, error) {
	reqs, err := h.Store.ProjectRequests(c.Request().Context(), actor(c), p.ID)
	if err != nil {
		return views.ProjectAPIsVM{}, err
	}
	vm := views.ProjectAPIsVM{ProjectID: p.ID, TeamID: p.TeamID, CanRegisterAPI: p.MyRole.Can(models.ActAPIManage),
		CanRequest: p.MyRole.Can(models.ActAccessRequest)}
	for _, g := range grants {
		vm.Grants = append(vm.Grants, grantRow(g, nil))
	}
	canWithdraw := p.MyRole.Can(models.ActAccessRequest)
	vm.Requests = requestRows(reqs, nil, "", func(models.AccessRequestInfo) bool { return canWithdraw })
	return vm, nil
}

// nonNil turns an absent list into an empty one (no scopes chosen is a choice).
func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// firstMessage is one of a validation error's messages, for a flash.
func firstMessage(f map[string]string) string {
	for _, k := range []string{"scopes", "scope", "project", "note", "api"} {
		if m, ok := f[k]; ok {
			return m
		}
	}
	for _, m := range f {
		return m
	}
	return "The form has a problem."
}
