package ingest

import (
	"bytes"
	"io"
	"strings"
)

// lineCheck passes a file read as GB18030 through unchanged, noting the
// lines that are UTF-8 text: valid UTF-8 with a rune of three or four bytes,
// which GBK text almost never is and which decoding as GB18030 would garble.
// Line n is the file's n-th line, as encoding/csv counts them (GB18030 never
// uses the byte '\n' inside a character).
type lineCheck struct {
	r       io.Reader
	line    int        // the line being read, from 1 (newLineCheck)
	flagged []utf8Line // lines found to be UTF-8 text, ascending, not yet claimed
	state   utf8Run    // of the line being read
	head    []byte     // the first bytes of the line being read
}

// utf8Line is a line of UTF-8 text in a GB18030 file.
type utf8Line struct {
	n    int
	text string // its first bytes, for reports
}

// lineHead is how much of a line is kept to report it.
const lineHead = 800

// utf8Run validates UTF-8 a byte at a time.
type utf8Run struct {
	need   int  // continuation bytes still expected
	lo, hi byte // the range of the next continuation byte
	bad    bool // not valid UTF-8
	wide   bool // holds a rune of three or four bytes
}

func newLineCheck(r io.Reader) *lineCheck { return &lineCheck{r: r, line: 1} }

func (c *lineCheck) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for rest := p[:n]; len(rest) > 0; {
		line := rest
		end := bytes.IndexByte(rest, '\n')
		if end >= 0 {
			line, rest = rest[:end], rest[end+1:]
		} else {
			rest = nil
		}
		if !c.state.bad { // a line of GBK text goes bad at its first character: skip the rest
			for _, b := range line {
				if c.state.add(b); c.state.bad {
					break
				}
			}
			if !c.state.bad {
				c.head = append(c.head, line[:min(len(line), lineHead-len(c.head))]...)
			}
		}
		if end >= 0 {
			c.endLine()
		}
	}
	if err == io.EOF {
		c.endLine()
	}
	return n, err
}

func (c *lineCheck) endLine() {
	if st := c.state; !st.bad && st.need == 0 && st.wide {
		text := strings.ToValidUTF8(strings.TrimRight(string(c.head), "\r"), "")
		c.flagged = append(c.flagged, utf8Line{n: c.line, text: text})
	}
	c.state, c.head = utf8Run{}, c.head[:0]
	c.line++
}

// add takes one byte (not '\n') of the line.
func (u *utf8Run) add(b byte) {
	if u.bad {
		return
	}
	if u.need > 0 {
		if b < u.lo || b > u.hi {
			u.bad = true
			return
		}
		u.need--
		u.lo, u.hi = 0x80, 0xBF
		return
	}
	u.lo, u.hi = 0x80, 0xBF
	switch {
	case b < 0x80:
	case b >= 0xC2 && b <= 0xDF:
		u.need = 1
	case b >= 0xE0 && b <= 0xEF:
		u.need, u.wide = 2, true
		if b == 0xE0 {
			u.lo = 0xA0
		} else if b == 0xED {
			u.hi = 0x9F
		}
	case b >= 0xF0 && b <= 0xF4:
		u.need, u.wide = 3, true
		if b == 0xF0 {
			u.lo = 0x90
		} else if b == 0xF4 {
			u.hi = 0x8F
		}
	default:
		u.bad = true
	}
}

// claim returns the flagged lines from first to last (inclusive),
// forgetting the flags of lines up to last.
func (c *lineCheck) claim(first, last int) []utf8Line {
	var found []utf8Line
	i := 0
	for ; i < len(c.flagged) && c.flagged[i].n <= last; i++ {
		if c.flagged[i].n >= first {
			found = append(found, c.flagged[i])
		}
	}
	c.flagged = c.flagged[i:]
	return found
}
