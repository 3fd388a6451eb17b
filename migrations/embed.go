// Package migrations holds the versioned SQL migrations, one folder per dialect, applied
// with goose. They are the only way the schema changes; both folders move in step.
package migrations

import "embed"

// FS holds migrations/sqlite and migrations/postgres.
//
//go:embed sqlite/*.sql postgres/*.sql
var FS embed.FS
