package handlers_test

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/gatehouse-dev/gatehouse/models"
)

// TestPagesOfferOnlyWhatTheRoleMayDo opens every page a team member can open, as each
// role, and checks every form and link on it against the permission matrix (the route
// walk's routeRules): a page never offers a control its viewer would be refused, and
// never posts to a route the router does not serve.
func TestPagesOfferOnlyWhatTheRoleMayDo(t *testing.T) {
	e := newEnv(t)
	owner := signedInMember(t, e, "owner@offer.example")
	byRole := map[models.Role]*member{
		models.RoleAdmin:     signedInMember(t, e, "admin@offer.example"),
		models.RoleDeveloper: signedInMember(t, e, "developer@offer.example"),
		models.RoleViewer:    signedInMember(t, e, "viewer@offer.example"),
	}
	fx := newFixture(t, e, owner, byRole, "Offer")
	byRole[models.RoleOwner] = owner

	var pages, posts, gets []string
	for k, rule := range routeRules {
		method, pattern, _ := strings.Cut(k, " ")
		switch {
		case strings.HasPrefix(pattern, "/api/"):
			continue // not pages: TestEveryRouteDecidesAuthorizationFirst walks them with tokens
		case method == http.MethodPost:
			posts = append(posts, pattern)
		case method == http.MethodGet:
			gets = append(gets, pattern)
			if (rule.access == team || rule.access == signedIn) && !rule.secretInPath && !strings.Contains(pattern, "export") {
				pages = append(pages, pattern)
			}
		}
	}
	sort.Strings(pages)
	opened := 0
	for _, role := range []models.Role{models.RoleViewer, models.RoleDeveloper, models.RoleAdmin, models.RoleOwner} {
		m := byRole[role]
		for _, pattern := range pages {
			path := fillPath(pattern, fx)
			res := m.b.get(path)
			if res.StatusCode != http.StatusOK {
				readBody(res)
				if allowedFor(routeRules["GET "+pattern], role, false, false) {
					t.Errorf("%s: GET %s = %d, want 200", role, path, res.StatusCode)
				}
				continue
			}
			opened++
			d := doc(t, res)
			d.Find(`form[method="post"]`).Each(func(_ int, f *goquery.Selection) {
				action := f.AttrOr("action", "")
				p := matchRoute(posts, action)
				if p == "" {
					t.Errorf("%s on %s: a form posts to %q, which no route serves", role, pattern, action)
					return
				}
				rule := routeRules["POST "+p]
				if allowedFor(rule, role, false, false) {
					return
				}
				if !rule.objectInBody {
					t.Errorf("%s on %s: offered a form to POST %s (%s), which the matrix refuses them", role, pattern, p, action)
					return
				}
				// The form names its object (a team, a project): it may be offered
				// for the viewer's other teams, never with this team's objects.
				f.Find(`select[name="team_id"] option, select[name="project"] option, input[name="team_id"], input[name="project"]`).Each(func(_ int, o *goquery.Selection) {
					if v := o.AttrOr("value", ""); v == fx.team || v == fx.project {
						t.Errorf("%s on %s: offered a form to POST %s naming %s, which the matrix refuses them", role, pattern, p, v)
					}
				})
			})
			d.Find(`a[href^="/"]`).Each(func(_ int, a *goquery.Selection) {
				href := a.AttrOr("href", "")
				p := matchRoute(gets, href)
				if p == "" {
					return // static files, the sign-in flow
				}
				if rule := routeRules["GET "+p]; rule.access == team && !allowedFor(rule, role, false, false) {
					t.Errorf("%s on %s: offered a link to %s (%s), which the matrix refuses them", role, pattern, p, href)
				}
			})
		}
	}
	if opened < 4*10 {
		t.Errorf("opened %d pages across four roles; the walk is not reaching the pages", opened)
	}
}

// matchRoute is the pattern among patterns that target's path matches (":x" matches
// one segment), or "".
func matchRoute(patterns []string, target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	segs := strings.Split(u.EscapedPath(), "/")
	for _, p := range patterns {
		ps := strings.Split(p, "/")
		if len(ps) != len(segs) {
			continue
		}
		ok := true
		for i := range ps {
			if !strings.HasPrefix(ps[i], ":") && ps[i] != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return p
		}
	}
	return ""
}
