package models_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
)

func TestActorKind(t *testing.T) {
	u := &models.User{ID: "usr_1", Email: "dev@example.com"}
	for _, tc := range []struct {
		a     models.Actor
		kind  models.PrincipalKind
		label string
	}{
		{models.Actor{User: u}, models.PrincipalUser, "dev@example.com"},
		{models.Actor{User: u, Operator: true}, models.PrincipalOperator, "operator dev@example.com"},
		{models.Actor{Client: "prj_1"}, models.PrincipalClient, "client prj_1"},
		{models.Actor{}, models.PrincipalSystem, "system"},
	} {
		if got := tc.a.Kind(); got != tc.kind {
			t.Errorf("%+v: kind %s, want %s", tc.a, got, tc.kind)
		}
		if got := tc.a.Label(); got != tc.label {
			t.Errorf("%+v: label %q, want %q", tc.a, got, tc.label)
		}
	}
}

func TestErrorCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code models.Code
	}{
		{models.ErrNotFound, models.CodeNotFound},
		{fmt.Errorf("loading: %w", models.ErrForbidden), models.CodeForbidden},
		{fmt.Errorf("%w: the database's disk is full", models.ErrUnavailable), models.CodeUnavailable},
		{models.ErrLastOwner, models.CodeConflict},
		{models.ErrInvitationExpired, models.CodeGone},
		{models.ErrNotThisProjectsKey, models.CodeInvalid},
		{&models.ValidationError{Fields: map[string]string{"name": "is required"}}, models.CodeInvalid},
		{errors.New("a bug"), ""},
		{nil, ""},
	} {
		if got := models.ErrorCode(tc.err); got != tc.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.code)
		}
	}
	var de *models.Error
	if !errors.As(models.ErrNotThisProjectsKey, &de) || de.Field != "key" {
		t.Errorf("ErrNotThisProjectsKey names no field: %+v", de)
	}
}
