package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// serviceAccountsSection fills the Members tab's service accounts section.
func (h *Handler) serviceAccountsSection(c echo.Context, vm *views.TeamVM, role models.Role) error {
	list, err := h.Store.ServiceAccounts(c.Request().Context(), actor(c), vm.ID)
	if err != nil {
		return err
	}
	sv := &vm.ServiceAccounts
	sv.CanManage = role.Can(models.ActServiceAccountManage)
	if sv.Form.Role == "" {
		sv.Form.Role = string(models.RoleDeveloper)
	}
	sv.Form.RoleOptions = roleOptions(serviceRoles(role))
	for _, a := range list {
		sv.Accounts = append(sv.Accounts, serviceAccountRow(&a))
	}
	return nil
}

// serviceRoles are the roles role may give a service account: what it may grant, but
// never owner.
func serviceRoles(role models.Role) []models.Role {
	var out []models.Role
	for _, r := range role.Grantable() {
		if r != models.RoleOwner {
			out = append(out, r)
		}
	}
	return out
}

// serviceAccountRow is a service account as the pages show it.
func serviceAccountRow(a *models.ServiceAccountInfo) views.ServiceAccountRow {
	return views.ServiceAccountRow{ID: a.ID, Name: a.Name, Description: a.Description, Role: string(a.Role),
		CreatedBy: a.CreatedByLabel, CreatedAt: a.CreatedAt}
}
