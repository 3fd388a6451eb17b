package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// inviteExpiry are the lifetimes an invitation link may be given, in days.
var inviteExpiry = dayOptions(1, 3, 7, 14, 30)

// showTeam handles "GET /teams/:team" (projects and APIs), "GET /teams/:team/members",
// "GET /teams/:team/webhooks" and "GET /teams/:team/settings".
func (h *Handler) showTeam(tab string) echo.HandlerFunc {
	return func(c echo.Context) error { return h.renderTeam(c, http.StatusOK, tab, nil) }
}

// renderTeam renders one of a team's pages; adjust may fill in form state.
func (h *Handler) renderTeam(c echo.Context, status int, tab string, adjust func(*views.TeamVM)) error {
	ctx, a := c.Request().Context(), actor(c)
	teamID := c.Param("team")
	tv, err := h.Store.TeamFor(ctx, a, teamID)
	if err != nil {
		return err
	}
	members, err := h.Store.Members(ctx, a, teamID)
	if err != nil {
		return err
	}
	projects, err := h.Store.TeamProjects(ctx, a, teamID)
	if err != nil {
		return err
	}
	role := tv.MyRole
	vm := views.TeamVM{
		Tab: tab, ID: tv.ID, Name: tv.Name, Personal: tv.Personal, MyRole: string(role),
		Can: views.TeamPermissions{
			Invite: role.Can(models.ActMemberInvite), ManageMembers: role.Can(models.ActMemberManage),
			CreateProject: role.Can(models.ActProjectCreate), ViewAudit: role.Can(models.ActAuditView),
			Rename: role.Can(models.ActTeamRename), Delete: role.Can(models.ActTeamDelete) && !tv.Personal,
			Leave: !(role == models.RoleOwner && countRole(members, models.RoleOwner) < 2),
		},
		InviteForm: views.InviteForm{
			Role: string(models.RoleDeveloper), RoleOptions: roleOptions(role.Grantable()), ExpiryOptions: inviteExpiry,
			ExpiresIn: "7", FormToken: models.NewIdempotencyKey(),
		},
		RenameForm: views.TeamForm{Name: tv.Name},
		LeakPolicy: tv.LeakPolicy,
	}
	me := currentUser(c).ID
	for _, m := range members {
		row := views.MemberRow{UserID: m.UserID, Name: m.Name, Email: m.Email, Role: string(m.Role), JoinedAt: m.JoinedAt, IsMe: m.UserID == me,
			Service: m.IsService()}
		if !row.IsMe && role.CanManage(m.Role) {
			row.RoleOptions = roleOptions(role.Grantable())
			if row.Service {
				row.RoleOptions = roleOptions(serviceRoles(role))
			}
			row.CanRemove = true
		}
		vm.Members = append(vm.Members, row)
	}
	for _, p := range projects {
		vm.Projects = append(vm.Projects, views.ProjectSummary{ID: p.ID, Name: p.Name, Description: p.Description,
			TeamID: tv.ID, TeamName: tv.Name, CreatedAt: p.CreatedAt})
	}
	if tab == views.TeamTabOverview || tab == "" {
		apis, err := h.Store.TeamAPIs(ctx, a, teamID)
		if err != nil {
			return err
		}
		for _, api := range apis {
			vm.APIs = append(vm.APIs, views.TeamAPIRow{ID: api.ID, Name: api.Name, Identifier: api.Identifier})
		}
	}
	if vm.Can.Invite {
		invs, err := h.Store.PendingInvitations(ctx, a, teamID)
		if err != nil {
			return err
		}
		for _, inv := range invs {
			vm.Invitations = append(vm.Invitations, views.InvitationRow{ID: inv.ID, Role: string(inv.Role), CreatedBy: inv.CreatedByLabel,
				CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt, CanRevoke: role.CanGrant(inv.Role)})
		}
	}
	if tab == views.TeamTabMembers {
		if err := h.serviceAccountsSection(c, &vm, role); err != nil {
			return err
		}
	}
	if tab == views.TeamTabWebhooks {
		if err := h.webhooksTab(c, &vm, role); err != nil {
			return err
		}
	}
	if tab == views.TeamTabSettings {
		if err := h.registrationSection(c, &vm, tv); err != nil {
			return err
		}
	}
	if adjust != nil {
		adjust(&vm)
	}
	return httpx.Render(c, status, views.TeamPage(h.page(c, tv.Name), vm))
}

// countRole counts members with role r.
func countRole(members []models.Member, r models.Role) int {
	n := 0
	for _, m := range members {
		if m.Role == r {
			n++
		}
	}
	return n
}
