package web

import (
	"errors"

	"github.com/gatehouse-dev/gatehouse/models"
)

// memberRuleMessage turns a membership rule the store enforced into words, or "".
func memberRuleMessage(err error) string {
	switch {
	case errors.Is(err, models.ErrLastOwner):
		return "A team must keep at least one owner. Make someone else an owner first."
	case errors.Is(err, models.ErrPersonalTeam):
		return "Your personal team cannot be deleted."
	}
	if f := validation(err); f != nil {
		for _, m := range f {
			return m // a sentence already ("Choose a role.")
		}
	}
	return ""
}
