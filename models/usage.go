package models

// UsageCount is one project's counts for one UTC day.
type UsageCount struct {
	ProjectID   string `gorm:"primaryKey"`
	Day         string `gorm:"primaryKey"` // YYYY-MM-DD, UTC
	Tokens      int64
	Revocations int64
}

// ProjectUsage is what the project page shows.
type ProjectUsage struct {
	TokensToday, TokensWeek           int64
	RevocationsToday, RevocationsWeek int64
}
