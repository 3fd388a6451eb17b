package oauth_test

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/oauth"
)

// TestTokenExchangeParameters: the RFC 8693 parameters a request must carry, and those
// it may not, are invalid_request before the store is asked anything.
func TestTokenExchangeParameters(t *testing.T) {
	g, err := oauth.Lookup(models.GrantTokenExchange)
	if err != nil {
		t.Fatal(err)
	}
	if g.ClientAuthOptional() {
		t.Error("token exchange without client authentication")
	}
	ok := func(edit func(url.Values)) url.Values {
		v := url.Values{"subject_token": {"a.b.c"}, "subject_token_type": {models.TokenTypeAccessToken}}
		if edit != nil {
			edit(v)
		}
		return v
	}
	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"NoSubjectToken", ok(func(v url.Values) { v.Del("subject_token") })},
		{"NoSubjectTokenType", ok(func(v url.Values) { v.Del("subject_token_type") })},
		{"IDTokenType", ok(func(v url.Values) { v.Set("subject_token_type", "urn:ietf:params:oauth:token-type:id_token") })},
		{"RefreshTokenRequested", ok(func(v url.Values) { v.Set("requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token") })},
		{"ActorToken", ok(func(v url.Values) {
			v.Set("actor_token", "x.y.z")
			v.Set("actor_token_type", models.TokenTypeAccessToken)
		})},
		{"ActorTokenTypeAlone", ok(func(v url.Values) { v.Set("actor_token_type", models.TokenTypeJWT) })},
		{"TwoSubjectTokens", ok(func(v url.Values) { v.Add("subject_token", "d.e.f") })},
		{"ImpersonateYes", ok(func(v url.Values) { v.Set(models.ParamImpersonate, "yes") })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeIssuer{}
			_, err := g.Token(context.Background(), f, oauth.Request{GrantType: models.GrantTokenExchange, Params: tc.form,
				Client: &models.Project{ID: "prj_a"}})
			if !isCode(err, models.ErrCodeInvalidRequest) {
				t.Errorf("err = %v, want invalid_request", err)
			}
			if f.exchange != nil {
				t.Error("the store was asked to exchange")
			}
		})
	}
	f := &fakeIssuer{}
	form := ok(func(v url.Values) {
		v.Set("subject_token_type", models.TokenTypeJWT)
		v.Set("requested_token_type", models.TokenTypeAccessToken)
		v.Set("resource", "https://b.example")
		v.Set("scope", "orders:read")
		v.Set(models.ParamImpersonate, "true")
	})
	tok, err := g.Token(context.Background(), f, oauth.Request{GrantType: models.GrantTokenExchange, Params: form,
		Client: &models.Project{ID: "prj_a"}})
	if err != nil {
		t.Fatal(err)
	}
	x := f.exchange
	if tok.Project.ID != "prj_a" || x == nil || x.SubjectToken != "a.b.c" || x.Scope != "orders:read" || !x.Impersonate ||
		!slices.Equal(x.Resources, []string{"https://b.example"}) {
		t.Errorf("exchanged %+v for %s", x, tok.Project.ID)
	}
}

// TestTokenExchangeDelegation: a subject_token of the delegation type goes to the
// credentials vault, and the token is the app's; impersonation is refused before the
// store is asked.
func TestTokenExchangeDelegation(t *testing.T) {
	g, err := oauth.Lookup(models.GrantTokenExchange)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"subject_token": {"rtf_x"}, "subject_token_type": {models.TokenTypeDelegation}, "resource": {"https://b.example"}}
	f := &fakeIssuer{}
	tok, err := g.Token(context.Background(), f, oauth.Request{GrantType: models.GrantTokenExchange, Params: form,
		Client: &models.Project{ID: "prj_svc"}})
	if err != nil {
		t.Fatal(err)
	}
	if !f.delegation || f.issuedFor != "prj_svc" || f.exchange.SubjectToken != "rtf_x" || tok.Project.ID != "app" {
		t.Errorf("delegation %v, asked for %s, project %s", f.delegation, f.issuedFor, tok.Project.ID)
	}
	form.Set(models.ParamImpersonate, "true")
	f = &fakeIssuer{}
	_, err = g.Token(context.Background(), f, oauth.Request{GrantType: models.GrantTokenExchange, Params: form,
		Client: &models.Project{ID: "prj_svc"}})
	if !isCode(err, models.ErrCodeInvalidRequest) || f.exchange != nil {
		t.Errorf("impersonating a delegation: err = %v, asked %v", err, f.exchange != nil)
	}
}
