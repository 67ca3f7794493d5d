package access

// LogStats is the state of the decision log's writer, for /metrics: how far
// it is behind and whether the store refuses its batches.
type LogStats struct {
	Queued   int // items (decisions, rows served) waiting to be written
	Capacity int // items the queue holds before Decide waits
	// FailedWrites counts batch transactions the store refused (each retry
	// counts); LostRecords the decisions dropped after the last retry.
	FailedWrites, LostRecords int64
}

// LogStats returns the decision log's backlog and failures since start.
func (s *Service) LogStats() LogStats {
	l := s.log
	return LogStats{Queued: len(l.ch), Capacity: cap(l.ch), FailedWrites: l.failedWrites.Load(), LostRecords: l.lostRecords.Load()}
}

// countRecords is the number of decisions in batch (not rows served or flushes).
func countRecords(batch []logItem) int {
	n := 0
	for _, it := range batch {
		if it.rec != nil {
			n++
		}
	}
	return n
}
