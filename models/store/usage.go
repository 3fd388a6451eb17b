package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Usage counts, per project and per API and UTC day, issued access tokens, API keys
// created, revocations and verifications in memory, and adds them to the database in
// batches (Flush, which the process runs every 10 s and once more after the last
// request), so the token and introspection endpoints never write per request.
//
// A count is kept under the credential's audiences as it carries them (API
// identifiers): Flush resolves them to APIs, so counting is one map write under a
// mutex, with no database read.
type Usage struct {
	store   *Store
	mu      sync.Mutex
	pending map[usageKey]*usageDelta
}

// usageKey is what a count lands on: the project, the audiences of the credential
// (API identifiers, space-separated) and the UTC day (YYYY-MM-DD).
type usageKey struct{ project, audiences, day string }

// usageDelta is what is added to a key's row.
type usageDelta struct{ tokens, keysCreated, revocations, verifications int64 }

func (d *usageDelta) add(o usageDelta) {
	d.tokens += o.tokens
	d.keysCreated += o.keysCreated
	d.revocations += o.revocations
	d.verifications += o.verifications
}

// usageOnce holds a store's one usage counter.
type usageOnce struct {
	once sync.Once
	u    *Usage
}

// NewUsage returns the store's usage counter (one per store, however often it is
// asked for). It counts every API key creation and revocation the store commits,
// whichever way it came (for revocations: the page, a pasted value, /oauth/revoke, an
// access change, a deleted project), by subscribing to EventAPIKeyCreated and
// EventAPIKeyRevoked; issued tokens are counted by Token and verifications by
// Verification.
func NewUsage(s *Store) *Usage {
	s.usage.once.Do(func() {
		u := &Usage{store: s, pending: map[usageKey]*usageDelta{}}
		s.Subscribe(func(ev models.Event) {
			if ev.ProjectID == "" {
				return
			}
			switch ev.Type {
			case models.EventAPIKeyCreated:
				u.add(ev.ProjectID, eventAudiences(ev), usageDelta{keysCreated: 1})
			case models.EventAPIKeyRevoked:
				u.add(ev.ProjectID, eventAudiences(ev), usageDelta{revocations: 1})
			}
		})
		s.usage.u = u
	})
	return s.usage.u
}

// eventAudiences are the audiences an API key event carries, space-separated.
func eventAudiences(ev models.Event) string {
	auds, _ := ev.Data["audiences"].([]string)
	return strings.Join(auds, " ")
}

func (u *Usage) add(project, audiences string, d usageDelta) {
	k := usageKey{project, audiences, u.store.now().Format(time.DateOnly)}
	u.mu.Lock()
	defer u.mu.Unlock()
	if c := u.pending[k]; c != nil {
		c.add(d)
		return
	}
	u.pending[k] = &d
}

// Token counts an access token issued to project for the APIs named by audiences
// (their identifiers, as the token's aud carries them): once for the project and
// once for each of the APIs.
func (u *Usage) Token(project string, audiences []string) {
	u.add(project, strings.Join(audiences, " "), usageDelta{tokens: 1})
}

// Verification counts an API key of project checked by an API (an active answer at
// the introspection endpoint): once for the project and once for each API the key
// names in audiences.
func (u *Usage) Verification(project string, audiences []string) {
	u.add(project, strings.Join(audiences, " "), usageDelta{verifications: 1})
}

// Flush adds the pending counts to usage_counts and api_usage_counts in one
// transaction. On failure they are put back, so nothing is lost or counted twice.
func (u *Usage) Flush(ctx context.Context) error {
	u.mu.Lock()
	batch := u.pending
	u.pending = map[usageKey]*usageDelta{}
	u.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := u.store.transact(ctx, func(tx *gorm.DB) error {
		return writeUsage(tx, batch)
	}, false) // counts change no client: the client cache stays
	if err != nil {
		u.restore(batch)
	}
	return err
}

// restore puts a batch back after a failed flush, adding it to what was counted since.
func (u *Usage) restore(batch map[usageKey]*usageDelta) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for k, d := range batch {
		if c := u.pending[k]; c != nil {
			c.add(*d)
			continue
		}
		u.pending[k] = d
	}
}

// writeUsage upserts a batch: the projects' rows, then the APIs' (the audiences
// resolved to APIs by identifier; an audience no API has any more counts for its
// project only). Rows are written in key order, so that instances flushing at once
// take their row locks in the same order.
func writeUsage(tx *gorm.DB, batch map[usageKey]*usageDelta) error {
	type dayKey struct{ id, day string }
	projects := map[dayKey]*usageDelta{}
	identifierKeys := map[string]string{} // audience as carried → its IdentifierKey
	for k, d := range batch {
		pk := dayKey{k.project, k.day}
		if projects[pk] == nil {
			projects[pk] = &usageDelta{}
		}
		projects[pk].add(*d)
		for _, aud := range strings.Fields(k.audiences) {
			if _, ok := identifierKeys[aud]; !ok {
				key, err := models.IdentifierKey(aud)
				if err != nil {
					key = ""
				}
				identifierKeys[aud] = key
			}
		}
	}
	apiOf, err := apisByIdentifierKey(tx, identifierKeys)
	if err != nil {
		return err
	}
	apis := map[dayKey]*usageDelta{}
	for k, d := range batch {
		var counted []string // each API once per credential, however its aud spells it
		for _, aud := range strings.Fields(k.audiences) {
			id := apiOf[identifierKeys[aud]]
			if id == "" || slices.Contains(counted, id) {
				continue
			}
			counted = append(counted, id)
			ak := dayKey{id, k.day}
			if apis[ak] == nil {
				apis[ak] = &usageDelta{}
			}
			apis[ak].add(*d)
		}
	}

	sorted := func(m map[dayKey]*usageDelta) []dayKey {
		keys := make([]dayKey, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b dayKey) int { return cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.day, b.day)) })
		return keys
	}
	projectRows := make([]models.UsageCount, 0, len(projects))
	for _, k := range sorted(projects) {
		d := projects[k]
		projectRows = append(projectRows, models.UsageCount{ProjectID: k.id, Day: k.day, Tokens: d.tokens,
			KeysCreated: d.keysCreated, Revocations: d.revocations, Verifications: d.verifications})
	}
	if err := upsertUsage(tx, "usage_counts", "project_id", &projectRows); err != nil {
		return err
	}
	if len(apis) == 0 {
		return nil
	}
	apiRows := make([]models.APIUsageCount, 0, len(apis))
	for _, k := range sorted(apis) {
		d := apis[k]
		apiRows = append(apiRows, models.APIUsageCount{APIID: k.id, Day: k.day, Tokens: d.tokens,
			KeysCreated: d.keysCreated, Revocations: d.revocations, Verifications: d.verifications})
	}
	return upsertUsage(tx, "api_usage_counts", "api_id", &apiRows)
}

// upsertUsage adds rows (a pointer to a slice of usage rows of table, keyed by idColumn
// and day) to what the table holds.
func upsertUsage(tx *gorm.DB, table, idColumn string, rows any) error {
	add := func(col string) any { return gorm.Expr(table + "." + col + " + excluded." + col) }
	return tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: idColumn}, {Name: "day"}},
		DoUpdates: clause.Assignments(map[string]any{
			"tokens": add("tokens"), "keys_created": add("keys_created"),
			"revocations": add("revocations"), "verifications": add("verifications"),
		}),
	}).CreateInBatches(rows, 500).Error
}

// apisByIdentifierKey maps the identifier keys among keys' values to the ids of the
// APIs that have them.
func apisByIdentifierKey(tx *gorm.DB, keys map[string]string) (map[string]string, error) {
	var want []string
	for _, k := range keys {
		if k != "" && !slices.Contains(want, k) {
			want = append(want, k)
		}
	}
	out := map[string]string{}
	if len(want) == 0 {
		return out, nil
	}
	for chunk := range slices.Chunk(want, 500) {
		var rows []models.API
		if err := tx.Select("id", "identifier_key").Where("identifier_key IN ?", chunk).Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, a := range rows {
			out[a.IdentifierKey] = a.ID
		}
	}
	return out, nil
}

// Series returns the daily counts of scope (a project or an API) for the last days
// UTC days, today included: exactly days entries, oldest first, a day without counts
// as zeros, what is still pending in memory included. Days are those of the store's
// clock. It takes no actor: callers show it for a project or API the actor may see.
func (u *Usage) Series(ctx context.Context, scope models.UsageScope, days int) ([]models.UsageDay, error) {
	if (scope.ProjectID == "") == (scope.APIID == "") {
		return nil, fmt.Errorf("usage series: name a project or an API, not %+v", scope)
	}
	if days < 1 || days > models.MaxUsageDays {
		return nil, &models.Error{Code: models.CodeInvalid, Field: "days",
			Message: fmt.Sprintf("Choose between 1 and %d days.", models.MaxUsageDays)}
	}
	now := u.store.now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	first := today.AddDate(0, 0, -(days - 1))
	from, to := first.Format(time.DateOnly), today.Format(time.DateOnly)
	out := make([]models.UsageDay, days)
	index := make(map[string]int, days)
	for i := range out {
		out[i].Day = first.AddDate(0, 0, i)
		index[out[i].Day.Format(time.DateOnly)] = i
	}
	addTo := func(day string, d usageDelta) {
		if i, ok := index[day]; ok {
			out[i].Tokens += d.tokens
			out[i].KeysCreated += d.keysCreated
			out[i].Revocations += d.revocations
			out[i].Verifications += d.verifications
		}
	}

	db := u.store.db.WithContext(ctx)
	// apiKey is the API's identifier key, to find its pending counts ("" for a project,
	// or for an API that is gone: its rows still count).
	var apiKey string
	if scope.ProjectID != "" {
		var rows []models.UsageCount
		if err := db.Where("project_id = ? AND day >= ? AND day <= ?", scope.ProjectID, from, to).Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			addTo(r.Day, usageDelta{r.Tokens, r.KeysCreated, r.Revocations, r.Verifications})
		}
	} else {
		var rows []models.APIUsageCount
		if err := db.Where("api_id = ? AND day >= ? AND day <= ?", scope.APIID, from, to).Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			addTo(r.Day, usageDelta{r.Tokens, r.KeysCreated, r.Revocations, r.Verifications})
		}
		var keys []string
		if err := db.Model(&models.API{}).Where("id = ?", scope.APIID).Pluck("identifier_key", &keys).Error; err != nil {
			return nil, err
		}
		if len(keys) == 1 {
			apiKey = keys[0]
		}
	}

	// The pending counts of the window are copied under the lock and matched outside
	// it, so counting is not held up by folding identifiers.
	type entry struct {
		key usageKey
		d   usageDelta
	}
	var pending []entry
	u.mu.Lock()
	for k, d := range u.pending {
		if k.day < from || k.day > to || (scope.ProjectID != "" && k.project != scope.ProjectID) {
			continue
		}
		pending = append(pending, entry{k, *d})
	}
	u.mu.Unlock()
	for _, e := range pending {
		if scope.ProjectID != "" || (apiKey != "" && namesAPI(e.key.audiences, apiKey)) {
			addTo(e.key.day, e.d)
		}
	}
	return out, nil
}

// namesAPI reports whether one of audiences (space-separated identifiers) is the API
// whose identifier key is key.
func namesAPI(audiences, key string) bool {
	for _, aud := range strings.Fields(audiences) {
		if k, err := models.IdentifierKey(aud); err == nil && k == key {
			return true
		}
	}
	return false
}

// UsageFor sums a project's counts for today and the last 7 days (today included),
// from the database plus what is still pending in memory.
func (u *Usage) UsageFor(ctx context.Context, project string) (models.ProjectUsage, error) {
	days, err := u.Series(ctx, models.ProjectUsageScope(project), 7)
	if err != nil {
		return models.ProjectUsage{}, err
	}
	var out models.ProjectUsage
	for _, d := range days {
		out.TokensWeek += d.Tokens
		out.RevocationsWeek += d.Revocations
	}
	out.TokensToday, out.RevocationsToday = days[len(days)-1].Tokens, days[len(days)-1].Revocations
	return out, nil
}
