package classify

// nameStats counts, in one column, the values shaped like personal names:
// how many fit at all, how many use only common given-name characters, and
// how many carry one of the hundred most frequent surnames.
type nameStats struct {
	like, typical, common int
}

func (n *nameStats) add(shape nameShape, common bool) {
	n.like++
	if shape == nameTypical {
		n.typical++
	}
	if common {
		n.common++
	}
}

func (n *nameStats) merge(o *nameStats) {
	n.like += o.like
	n.typical += o.typical
	n.common += o.common
}

// Name-column thresholds. In the national statistics the hundred most
// frequent surnames are held by 85% of people and the 1,500 most used
// given-name characters make up 99.8% of given names; words that merely
// start with a surname character (商品, 职务, 民族 ...) miss one or the other,
// or repeat a handful of values.
const (
	nameTypicalShare = 0.8 // of non-empty values: a surname and common given-name characters
	nameCommonShare  = 0.5 // of those: one of the hundred most frequent surnames
	nameDistinctMin  = 20  // distinct values (or half of the values, for short columns)
)

// plausible reports whether a column of nonEmpty values, distinct of them
// different, holds personal names by the values alone.
func (n *nameStats) plausible(nonEmpty int, distinct int64) bool {
	return nonEmpty > 0 && float64(n.typical) >= nameTypicalShare*float64(nonEmpty) &&
		float64(n.common) >= nameCommonShare*float64(n.typical) && distinct >= int64(min(nameDistinctMin, nonEmpty/2))
}

// dateStats is the distribution of one column's dates over the years
// 1900–2099, for telling birth dates from other dates.
type dateStats struct {
	years         [200]int32
	early, future int
}

func (d *dateStats) add(date, today int32) {
	switch y := date/10000 - 1900; {
	case date > today:
		d.future++
	case y < 0:
		d.early++
	default:
		d.years[y]++
	}
}

func (d *dateStats) merge(o *dateStats) {
	for i := range d.years {
		d.years[i] += o.years[i]
	}
	d.early += o.early
	d.future += o.future
}

// Birth-date distribution thresholds: the ages of a population of people
// spread over decades, with few born in the last two years and none in the
// future. Hire, registration, transaction and order dates crowd into the
// recent years instead.
const (
	birthMinDates     = 20 // fewer dates say nothing about a distribution
	birthMaxFuture    = 0.005
	birthMaxEarly     = 0.02 // before 1900
	birthMedianAgeMin = 16
	birthMedianAgeMax = 80
	birthMinIQR       = 10   // years between the first and third quartile
	birthMaxRecent    = 0.05 // born this year or last year
)

// plausibleBirths reports whether the column's dates are distributed as
// the birth dates of people are, on the day today (yyyymmdd).
func (d *dateStats) plausibleBirths(today int32) bool {
	past := 0
	for _, n := range d.years {
		past += int(n)
	}
	total := float64(past + d.early + d.future)
	if past < birthMinDates || float64(d.future) > birthMaxFuture*total || float64(d.early) > birthMaxEarly*total {
		return false
	}
	nowYear := int(today/10000) - 1900
	q1, median, q3 := d.quantile(past, 0.25), d.quantile(past, 0.5), d.quantile(past, 0.75)
	age := nowYear - median
	recent := int(d.years[nowYear])
	if nowYear > 0 {
		recent += int(d.years[nowYear-1])
	}
	return age >= birthMedianAgeMin && age <= birthMedianAgeMax && q3-q1 >= birthMinIQR &&
		float64(recent) <= birthMaxRecent*float64(past)
}

// quantile returns the year index (years since 1900) below which the share
// q of the past dates lie.
func (d *dateStats) quantile(past int, q float64) int {
	want, seen := q*float64(past), 0
	for i, n := range d.years {
		seen += int(n)
		if float64(seen) >= want {
			return i
		}
	}
	return len(d.years) - 1
}

// SurnameFrequencies returns the surnames that name detection knows, single
// ones first, with their frequency in parts per billion, most frequent
// first within each group (the statistics in names_table.go).
func SurnameFrequencies() (surnames []string, ppb []int) {
	for _, s := range surnameFreq {
		surnames, ppb = append(surnames, string(s.surname)), append(ppb, int(s.ppm)*1000)
	}
	for _, s := range compoundSurnameFreq {
		surnames, ppb = append(surnames, s.surname), append(ppb, int(s.ppb))
	}
	return surnames, ppb
}

// GivenNameChars returns the characters common in given names, most used first.
func GivenNameChars() string { return givenNameChars }

// AreaCodes returns the area codes of the fixed-line numbering plan, without
// the trunk prefix 0.
func AreaCodes() []string {
	codes := make([]string, len(areaCodes))
	for i, a := range areaCodes {
		codes[i] = a.code
	}
	return codes
}
