package store

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// SetTokenExchangeMaxDepth sets how many actors a token issued by token exchange may
// name in its act chain (GATEHOUSE_TOKEN_EXCHANGE_MAX_DEPTH); 0 restores the default.
func (s *Store) SetTokenExchangeMaxDepth(n int) { s.exchangeDepth.Store(int64(n)) }

// TokenExchangeMaxDepth is the act-chain depth limit in force.
func (s *Store) TokenExchangeMaxDepth() int {
	if n := int(s.exchangeDepth.Load()); n > 0 {
		return n
	}
	return models.DefaultTokenExchangeMaxDepth
}

// exchangeClockSkew is how far in the future a subject token's nbf may be.
const exchangeClockSkew = 30 * time.Second

// ExchangeToken is RFC 8693 token exchange for project p (authenticated, with its
// Grants loaded): p is the resource server of an API that received subject token and
// needs to call another API (the target, named by resources) for the same subject.
//
// The new token is for the target only; its scopes are those requested (none: all)
// within the subject token's and p's grant on the target; it expires no later than the
// subject token; it keeps the subject (sub, sub_type, auth_time, acr, amr) and is issued
// to p (client_id), with an act claim naming p and, nested in it, the subject token's
// own act (RFC 8693 §4.1). With impersonate, which the target's owners must allow on
// p's grant, there is no act naming p.
func (s *Store) ExchangeToken(ctx context.Context, p *models.Project, x models.TokenExchange) (*models.IssuedToken, error) {
	if s.signer == nil {
		return nil, models.ErrSigningUnavailable
	}
	if !p.AllowsGrant(models.GrantTokenExchange) {
		return nil, oauthErr(models.ErrCodeUnauthorizedClient, "this client may not use the grant type "+models.QuoteForError(models.GrantTokenExchange))
	}
	now := s.now()
	var st models.AccessTokenClaims
	// A reference token stands for the claims stored with it, while it is active.
	var ref *activeReference
	if subjectToken := strings.TrimSpace(x.SubjectToken); models.LooksLikeReferenceToken(subjectToken) {
		var err error
		if ref, err = s.lookupReference(ctx, subjectToken); err != nil {
			return nil, err
		}
		if ref == nil {
			return nil, oauthErr(models.ErrCodeInvalidGrant, "the subject_token is not an active reference token: unknown, revoked or expired")
		}
		st = ref.claims
	} else if err := s.signer.VerifyOwn(subjectToken, models.TypAccessToken, &st); err != nil ||
		st.Issuer != s.signer.Config().Issuer {
		return nil, oauthErr(models.ErrCodeInvalidGrant, "the subject_token is not an access token this server issued")
	}
	if st.Expiry == nil || !now.Add(time.Second).Before(st.Expiry.Time()) {
		return nil, oauthErr(models.ErrCodeInvalidGrant, "the subject_token has expired")
	}
	// Another instance may have issued it with a clock a little ahead.
	if st.NotBefore != nil && now.Add(exchangeClockSkew).Before(st.NotBefore.Time()) {
		return nil, oauthErr(models.ErrCodeInvalidGrant, "the subject_token is not valid yet")
	}
	if st.Subject == "" || st.ClientID == "" {
		return nil, oauthErr(models.ErrCodeInvalidGrant, "the subject_token names no subject")
	}
	// The confused-deputy guard: only the resource server a token was issued for may
	// exchange it. A token's audience is the API it was meant for; were any project
	// holding it allowed to exchange it, a token a user gave one service (or that
	// leaked from one) could be turned by any other holder into access to every API that
	// holder is granted, in the user's name. Requiring that p's team owns an API in the
	// token's aud means p received it as that API: it can pass the user on to the APIs it
	// calls, and nobody else can.
	//
	// One round trip answers that and whether the token's client still exists (a token
	// of a deleted project is dead, as introspection says).
	var keys []string
	for _, a := range st.Audience {
		if k, err := models.IdentifierKey(a); err == nil {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, oauthErr(models.ErrCodeInvalidGrant, "the subject_token was not issued for an API of this client's team")
	}
	var found struct{ APIs, Clients int64 }
	err := s.db.WithContext(ctx).Raw(`SELECT (SELECT COUNT(*) FROM apis WHERE team_id = ? AND identifier_key IN ?) AS apis,
		(SELECT COUNT(*) FROM projects WHERE id = ?) AS clients`, p.TeamID, keys, st.ClientID).Scan(&found).Error
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	if found.APIs == 0 {
		return nil, oauthErr(models.ErrCodeInvalidGrant, "the subject_token was not issued for an API of this client's team")
	}
	if found.Clients == 0 {
		return nil, oauthErr(models.ErrCodeInvalidGrant, "the subject_token's client no longer exists")
	}
	if m := st.MayAct; m != nil && (m.Subject != p.ID || (m.SubType != "" && m.SubType != models.SubjectProject)) {
		return nil, oauthErr(models.ErrCodeInvalidGrant, "the subject_token's may_act does not name this client")
	}
	// A gateway of the token's API asking for the JWT a reference token stands for.
	if ref != nil && x.RequestedTokenType == models.TokenTypeJWT {
		return s.referenceJWT(ref, x)
	}
	act := st.Act
	if !x.Impersonate {
		act = &models.ActClaim{Subject: p.ID, SubType: models.SubjectProject, Act: st.Act}
	}
	if max := s.TokenExchangeMaxDepth(); act.Depth() > max {
		return nil, oauthErr(models.ErrCodeInvalidRequest, "the actor chain would be longer than this server allows ("+strconv.Itoa(max)+")")
	}
	g, err := pickGrant(p.Grants, x.Resources, func(g *models.IssuableGrant) bool { return bool(g.Tokens) }, "access tokens")
	if err != nil {
		return nil, err
	}
	if x.Impersonate && !g.Impersonation {
		return nil, oauthErr(models.ErrCodeUnauthorizedClient, "the owners of "+models.QuoteForError(g.Identifier)+
			" do not allow this client to impersonate; ask without "+models.ParamImpersonate)
	}
	scopes, err := exchangeScopes(g, strings.Fields(st.Scope), x.Scope)
	if err != nil {
		return nil, err
	}
	sub := subject{id: st.Subject, typ: st.SubType, acr: st.ACR, amr: st.AMR, act: act, notAfter: st.Expiry.Time()}
	if sub.typ == "" {
		sub.typ = models.SubjectProject
	}
	if st.AuthTime != nil {
		t := st.AuthTime.Time()
		sub.authTime = &t
	}
	tok, err := s.mintAccessToken(ctx, p, g, scopes, sub)
	if err != nil {
		return nil, err
	}
	tok.IssuedTokenType = models.TokenTypeAccessToken
	return tok, nil
}

// exchangeScopes is what an exchanged token may carry: the requested scopes (none: all)
// within both the subject token's and the client's grant on the target. Scopes never
// widen: a requested scope outside either is invalid_scope, and so is an empty result.
func exchangeScopes(g *models.IssuableGrant, subjectScopes []string, requested string) ([]string, error) {
	var both []string
	for _, sc := range strings.Fields(g.Scopes) {
		if slices.Contains(subjectScopes, sc) {
			both = append(both, sc)
		}
	}
	return requestedWithin(both, requested, "is not both in the subject_token and granted to this client for "+models.QuoteForError(g.Identifier),
		"the subject_token carries no scope this client is granted for "+models.QuoteForError(g.Identifier))
}

// requestedWithin is what a token exchanged for another may carry: the requested
// scopes (none: all of usable), deduplicated. A requested scope outside usable is
// invalid_scope ("the scope … " and outside), and so is nothing usable (none).
func requestedWithin(usable []string, requested, outside, none string) ([]string, error) {
	want := strings.Fields(requested)
	if len(want) == 0 {
		if len(usable) == 0 {
			return nil, oauthErr(models.ErrCodeInvalidScope, none)
		}
		return usable, nil
	}
	var out []string
	for _, sc := range want {
		if !slices.Contains(usable, sc) {
			return nil, oauthErr(models.ErrCodeInvalidScope, "the scope "+models.QuoteForError(sc)+" "+outside)
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}
