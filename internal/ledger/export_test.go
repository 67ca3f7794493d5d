package ledger

// LockAndSequence takes the sequencer lock and sequences until ctx ends, as
// a started Service does in the background.
var LockAndSequence = (*Service).lockAndSequence
