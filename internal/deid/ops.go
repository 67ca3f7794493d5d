package deid

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dataport/internal/classify"
)

// operator transforms one column's values; row gives access to the other
// columns of the same row (date_shift keys on another column).
type operator func(v string, row []string) string

// newOperator builds the operator for op on a column; key is the profile's
// secret; h is the column's hierarchy (generalize only); col finds other columns.
func newOperator(op ColumnOp, key []byte, h *Hierarchy, col func(string) int) (operator, error) {
	switch op.Op {
	case OpKeep, "":
		return func(v string, _ []string) string { return v }, nil
	case OpRedact:
		return func(string, []string) string { return op.With }, nil
	case OpSuppress:
		return func(string, []string) string { return "*" }, nil
	case OpMask:
		return maskOperator(op), nil
	case OpPseudonymize:
		return pseudonymOperator(op, key)
	case OpGeneralize:
		return func(v string, _ []string) string {
			if g, ok := h.Generalize(v, min(op.Level, h.Height()-1)); ok {
				return g
			}
			return "*"
		}, nil
	case OpTopBottom:
		return topBottomOperator(op), nil
	case OpDateShift:
		return dateShiftOperator(op, key, col)
	}
	return nil, fmt.Errorf("unknown operator %q", op.Op)
}

func maskOperator(op ColumnOp) operator {
	char := op.Char
	if char == "" {
		char = "*"
	}
	return func(v string, _ []string) string {
		n := utf8.RuneCountInString(v)
		if n <= op.KeepFirst+op.KeepLast {
			return strings.Repeat(char, n)
		}
		r := []rune(v)
		return string(r[:op.KeepFirst]) + strings.Repeat(char, n-op.KeepFirst-op.KeepLast) + string(r[n-op.KeepLast:])
	}
}

// Pseudonym computes the keyed pseudonym of v: the hex HMAC of v under key,
// cut to length characters. The same value gives the same pseudonym under
// the same key, so tables released with one profile still join.
func Pseudonym(algorithm string, key []byte, v string, length int) string {
	newHash := sha256.New
	if algorithm == "hmac-sm3" {
		newHash = NewSM3
	}
	m := hmac.New(newHash, key)
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil))[:length]
}

func pseudonymOperator(op ColumnOp, key []byte) (operator, error) {
	if len(key) < 16 {
		return nil, fmt.Errorf("pseudonymize needs a secret key of at least 16 bytes")
	}
	length := op.Length
	if length == 0 {
		length = 16
	}
	newHash := func() hash.Hash { return sha256.New() }
	if op.Algorithm == "hmac-sm3" {
		newHash = NewSM3
	}
	m := hmac.New(newHash, key)
	var sum []byte
	return func(v string, _ []string) string {
		if v == "" {
			return ""
		}
		m.Reset()
		m.Write([]byte(v))
		sum = m.Sum(sum[:0])
		return hex.EncodeToString(sum)[:length]
	}, nil
}

func topBottomOperator(op ColumnOp) operator {
	return func(v string, _ []string) string {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		switch {
		case err != nil:
			return v
		case op.Top != nil && f > *op.Top:
			return strconv.FormatFloat(*op.Top, 'f', -1, 64)
		case op.Bottom != nil && f < *op.Bottom:
			return strconv.FormatFloat(*op.Bottom, 'f', -1, 64)
		}
		return v
	}
}

// dateShiftOperator moves each date by a number of days in [−MaxDays,
// MaxDays] derived from the key and the value of the By column, so that all
// dates of one person move together and intervals between them survive.
// Values that are not dates are blanked: they may be dates in a form
// nobody foresaw.
func dateShiftOperator(op ColumnOp, key []byte, col func(string) int) (operator, error) {
	if len(key) < 16 {
		return nil, fmt.Errorf("date_shift needs a secret key of at least 16 bytes")
	}
	maxDays := op.MaxDays
	if maxDays == 0 {
		maxDays = 30
	}
	by := -1
	if op.By != "" {
		if by = col(op.By); by < 0 {
			return nil, fmt.Errorf("date_shift: no column %q to key the shift on", op.By)
		}
	}
	m := hmac.New(sha256.New, key)
	return func(v string, row []string) string {
		y, mo, d, ok := classify.ParseDate(v)
		if !ok {
			return ""
		}
		m.Reset()
		m.Write([]byte("date_shift\x00"))
		if by >= 0 && by < len(row) {
			m.Write([]byte(row[by]))
		}
		shift := int(binary.BigEndian.Uint64(m.Sum(nil))%uint64(2*maxDays+1)) - maxDays
		return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, shift).Format("2006-01-02")
	}, nil
}
