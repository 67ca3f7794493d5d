package datastore

import "fmt"

// Large versions on PostgreSQL are declaratively partitioned tables:
// PARTITION BY RANGE on the row number (_row), one partition per
// PartitionSize rows and a last one open-ended, so that an estimate too low
// only makes the last partition larger. Ranges on the row number keep what
// the reads do cheap: keyset pages in row order scan the partitions in
// order and stop early (an ordered Append, not a merge), the count's
// estimate window and MIN/MAX of _row touch one partition, and VACUUM,
// index builds and a pruned version's DROP work a partition at a time. The
// load still streams one COPY into the parent, which routes each row.
//
// A unique index on a partitioned table must hold the partition key, so the
// key items' uniqueness is checked by counting repeated keys once the rows
// are in (the version never changes afterwards) and their index is a plain
// one; filters' indexes are created on the parent, which builds one per
// partition.
//
// Whether a load is partitioned is decided before its first row is
// written, from the file's size and the first batch's bytes per record
// (LoadInput.Size must be known; a stream of unknown size is never
// partitioned).
//
// Citus (distributed tables) is not used: where the extension is installed,
// an operator may distribute a version's table by _row with
// create_distributed_table; dataport neither requires nor detects it.

// Defaults of Config's partitioning fields.
const (
	DefaultPartitionRows = 5_000_000 // versions expected to hold this many rows are partitioned
	DefaultPartitionSize = 1_000_000 // rows per partition
)

// partitioning says how a version's table is laid out: Size rows per
// partition, Count partitions (the last open-ended); Count 0 is a plain table.
type partitioning struct {
	Size  int64
	Count int
}

// partitionFor decides the layout of a load expected to hold about
// fileBytes*rows/bytes records (rows and bytes read so far).
func (s *Service) partitionFor(fileBytes, rows, bytes int64) partitioning {
	if s.partRows <= 0 || fileBytes <= 0 || rows <= 0 || bytes <= 0 {
		return partitioning{}
	}
	est := int64(float64(fileBytes) / float64(bytes) * float64(rows))
	if est < s.partRows {
		return partitioning{}
	}
	size := max(s.partSize, (est+maxPartitions-1)/maxPartitions)
	return partitioning{Size: size, Count: int((est + size - 1) / size)}
}

// maxPartitions bounds a version's partitions: a read that cannot prune
// (a filter on an item) locks every partition, and PostgreSQL's lock table
// holds max_locks_per_transaction (64 by default) per connection. Larger
// versions get larger partitions.
const maxPartitions = 64

// partitionSQL is the clause that makes a CREATE TABLE partitioned and the
// statements creating its partitions (names table_p0, table_p1...).
func (p partitioning) partitionSQL(table string) (clause string, parts []string) {
	if p.Count == 0 {
		return "", nil
	}
	for i := range p.Count {
		from, to := "MINVALUE", "MAXVALUE"
		if i > 0 {
			from = fmt.Sprint(int64(i) * p.Size)
		}
		if i < p.Count-1 {
			to = fmt.Sprint(int64(i+1) * p.Size)
		}
		parts = append(parts, fmt.Sprintf("CREATE TABLE %s PARTITION OF %s FOR VALUES FROM (%s) TO (%s)",
			ident(fmt.Sprintf("%s_p%d", table, i)), ident(table), from, to))
	}
	return " PARTITION BY RANGE (" + ident(rowColumn) + ")", parts
}
