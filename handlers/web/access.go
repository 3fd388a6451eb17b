package web

import (
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

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
		return h.afterRevocations(c, views.APITabAccess, revoked, "Request denied. The project's team sees your note.")
	}
	return h.afterRevocations(c, views.APITabAccess, revoked, "Request approved. The project can get credentials for this API now.")
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
