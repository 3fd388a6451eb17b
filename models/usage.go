package models

import "time"

// UsageCount is one project's counts for one UTC day.
type UsageCount struct {
	ProjectID     string `gorm:"primaryKey"`
	Day           string `gorm:"primaryKey"` // YYYY-MM-DD, UTC
	Tokens        int64
	KeysCreated   int64
	Revocations   int64
	Verifications int64
}

// APIUsageCount is one API's counts for one UTC day, over every project that used it.
type APIUsageCount struct {
	APIID         string `gorm:"column:api_id;primaryKey"`
	Day           string `gorm:"primaryKey"` // YYYY-MM-DD, UTC
	Tokens        int64
	KeysCreated   int64
	Revocations   int64
	Verifications int64
}

// TableName is the API usage table.
func (APIUsageCount) TableName() string { return "api_usage_counts" }

// ProjectUsage is what the project page shows.
type ProjectUsage struct {
	TokensToday, TokensWeek           int64
	RevocationsToday, RevocationsWeek int64
}

// UsageScope names whose usage a series is: a project's (ProjectID) or an API's
// (APIID), exactly one of them.
type UsageScope struct {
	ProjectID string
	APIID     string
}

// ProjectUsageScope is the usage of project id.
func ProjectUsageScope(id string) UsageScope { return UsageScope{ProjectID: id} }

// APIUsageScope is the usage of API id.
func APIUsageScope(id string) UsageScope { return UsageScope{APIID: id} }

// UsageMetric names one daily count.
type UsageMetric string

// The usage metrics, in the order pages show them.
const (
	// MetricTokens counts access tokens issued (for an API: those naming it in aud).
	MetricTokens UsageMetric = "tokens"
	// MetricKeysCreated counts API keys created.
	MetricKeysCreated UsageMetric = "keys_created"
	// MetricRevocations counts API keys revoked, whichever way.
	MetricRevocations UsageMetric = "revocations"
	// MetricVerifications counts API keys checked by an API at the introspection
	// endpoint (the only verification the portal sees: offline checks are invisible).
	MetricVerifications UsageMetric = "verifications"
)

// UsageMetrics lists every metric, in the order pages show them.
var UsageMetrics = []UsageMetric{MetricTokens, MetricKeysCreated, MetricRevocations, MetricVerifications}

// UsageDay is one UTC day of a usage series.
type UsageDay struct {
	// Day is the day's midnight, UTC.
	Day           time.Time
	Tokens        int64
	KeysCreated   int64
	Revocations   int64
	Verifications int64
}

// Count is the day's count of metric m (0 for an unknown metric).
func (d UsageDay) Count(m UsageMetric) int64 {
	switch m {
	case MetricTokens:
		return d.Tokens
	case MetricKeysCreated:
		return d.KeysCreated
	case MetricRevocations:
		return d.Revocations
	case MetricVerifications:
		return d.Verifications
	}
	return 0
}

// MaxUsageDays is the longest series Series returns.
const MaxUsageDays = 366
