package models

import (
	"github.com/gatehouse-dev/gatehouse/models/authz"
)

// Action is something a member may do to a team or its projects (models/authz holds
// the matrix of who may).
type Action = authz.Action

// The actions of the permission matrix.
const (
	ActTeamView             = authz.TeamView
	ActTeamRename           = authz.TeamRename
	ActTeamDelete           = authz.TeamDelete
	ActMemberInvite         = authz.MemberInvite
	ActMemberManage         = authz.MemberManage
	ActAuditView            = authz.AuditView
	ActProjectView          = authz.ProjectView
	ActProjectCreate        = authz.ProjectCreate
	ActProjectUpdate        = authz.ProjectUpdate
	ActProjectDelete        = authz.ProjectDelete
	ActSecretManage         = authz.SecretManage
	ActKeyManage            = authz.KeyManage
	ActAPIView              = authz.APIView
	ActAPIManage            = authz.APIManage
	ActAccessRequest        = authz.AccessRequest
	ActWebhookManage        = authz.WebhookManage
	ActServiceAccountManage = authz.ServiceAccountManage
	ActRegistrationManage   = authz.RegistrationManage
)
