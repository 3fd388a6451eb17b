package signing

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// statusListReread is how long a list's bits in memory are trusted without reading the
// list from the database again: between reads they follow the change log, and a
// revocation the log has not shown moves the list's version (refreshListVersions), so
// this is only a safety net.
const statusListReread = 15 * time.Minute

// ChangeLog is the revocation feed's change log (the store implements it; a Ring
// without it keeps re-reading lists whose version moved).
type ChangeLog interface {
	// StatusChangesAfter reads at most limit changes with an id above after, in order.
	StatusChangesAfter(ctx context.Context, after int64, limit int) ([]models.StatusChange, error)
	// StatusChangeBounds reads the smallest and largest id kept (0, 0: empty).
	StatusChangeBounds(ctx context.Context) (first, last int64, err error)
}

// ChangeNotifier signals committed changes as they happen (PostgreSQL LISTEN), so a
// feed reads the log at once rather than at its next poll. Optional: polling alone is
// correct.
type ChangeNotifier interface {
	// ListenStatusChanges calls notify for each committed change until ctx ends or it
	// fails (at once, when the database cannot notify).
	ListenStatusChanges(ctx context.Context, notify func()) error
}

// changeCursor is the last change applied to the lists in memory.
type changeCursor struct {
	mu   sync.Mutex // one tail at a time
	last int64
	set  bool
}

// changeBatch bounds one read of the change log.
const changeBatch = 1000

// TailStatusChanges applies the changes other instances (and this one) logged since the
// last call to the lists in memory: a list with a new bit is re-signed from memory on
// its next GET, not read from the database. The first call starts at the log's end
// (lists read from the database after it include what came before); a log pruned past
// the cursor marks every list for a read.
func (s *Signer) TailStatusChanges(ctx context.Context) error {
	log, ok := s.ring.(ChangeLog)
	if !ok {
		return nil
	}
	s.changes.mu.Lock()
	defer s.changes.mu.Unlock()
	first, last, err := log.StatusChangeBounds(ctx)
	if err != nil {
		return err
	}
	if !s.changes.set {
		s.changes.last, s.changes.set = last, true
		return nil
	}
	if first > s.changes.last+1 {
		s.markAllDirty() // pruned past us: the lists may lack changes
		s.changes.last = last
		return nil
	}
	for s.changes.last < last {
		batch, err := log.StatusChangesAfter(ctx, s.changes.last, changeBatch)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			break
		}
		s.ApplyStatusChanges(batch)
		s.changes.last = batch[len(batch)-1].ID
	}
	return nil
}

// ApplyStatusChanges sets, in the lists this instance holds, the bits the changes set
// (in id order; a change already in a list's bits, by its version, is skipped). A list
// whose version jumps (a change missing in between) is set too but marked for a read
// from the database: the in-memory bits are never trusted past a gap.
func (s *Signer) ApplyStatusChanges(changes []models.StatusChange) {
	s.lists.mu.Lock()
	defer s.lists.mu.Unlock()
	for _, c := range changes {
		e, ok := s.lists.entries[c.StatusListID]
		if !ok || c.Version <= e.version || c.Status != models.StatusRevoked {
			continue
		}
		if c.StatusIdx >= 0 && c.StatusIdx/8 < len(e.bits) {
			e.bits[c.StatusIdx/8] |= 1 << (c.StatusIdx % 8)
		}
		if c.Version != e.version+1 {
			e.dirty = true
		}
		e.version, e.stale, e.retryAt = c.Version, true, time.Time{}
	}
}

// markAllDirty makes every list in memory be read from the database on its next GET.
func (s *Signer) markAllDirty() {
	s.lists.mu.Lock()
	defer s.lists.mu.Unlock()
	for _, e := range s.lists.entries {
		e.dirty = true
	}
}

// StatusListRebuilds counts lists read from the database and signed; StatusListResigns
// lists re-signed from their bits in memory (after a change, a ring change or half a
// ttl).
func (s *Signer) StatusListRebuilds() int64 { return s.rebuilds.Load() }

// StatusListResigns: see StatusListRebuilds.
func (s *Signer) StatusListResigns() int64 { return s.resigns.Load() }
