package entropy

import (
	"container/heap"
	"fmt"
	"math"
)

// CDF is one quantized cumulative distribution, in CompressAI's layout.
//
// Cum has n+2 entries for n regular symbols: Cum[0] = 0, Cum[n+1] = Precision,
// strictly increasing. Regular symbol i (0 <= i < n) stands for the value
// Offset+i and has frequency Cum[i+1]-Cum[i]; the last interval, symbol n, is
// the escape that codes every value outside [Offset, Offset+n-1].
type CDF struct {
	Offset int32
	Cum    []uint32
}

// NumSymbols returns the number of regular symbols, escape excluded.
func (c CDF) NumSymbols() int { return len(c.Cum) - 2 }

// validate checks the layout described on CDF.
func (c CDF) validate() error {
	n := len(c.Cum) - 2
	if n < 1 || n > MaxSymbols {
		return fmt.Errorf("%w: CDF has %d regular symbols, want 1..%d", ErrTable, n, MaxSymbols)
	}
	if c.Cum[0] != 0 || c.Cum[n+1] != Precision {
		return fmt.Errorf("%w: CDF must run from 0 to %d", ErrTable, Precision)
	}
	for i := 0; i <= n; i++ {
		if c.Cum[i+1] <= c.Cum[i] {
			return fmt.Errorf("%w: CDF not strictly increasing at symbol %d", ErrTable, i)
		}
	}
	if int64(c.Offset)+int64(n)-1 > math.MaxInt32 {
		return fmt.Errorf("%w: CDF range %d+%d overflows int32", ErrTable, c.Offset, n)
	}
	return nil
}

// weightScale is the one float-to-integer step of NewCDF: a probability p
// becomes the integer round(p * 2^32). Scaling by a power of two and rounding
// are exact in IEEE arithmetic, so every machine gets the same weights.
const weightScale = 1 << 32

// NewCDF quantizes a pmf into a CDF whose symbol 0 is the value offset.
//
// pmf[i] is the probability of the value offset+i and tailMass the
// probability of all values outside the range; together they should sum to
// about 1 (they are renormalized). Every symbol, the escape included, gets a
// count of at least 1 and the counts sum to exactly Precision. After the
// single exact step of turning each probability into an integer weight, the
// procedure is integer arithmetic with deterministic tie-breaking, so any
// machine builds the same CDF from the same float64 inputs.
//
// The counts minimize (an integer stand-in for) the expected code length
// under the pmf, given the constraints: moving any single count from one
// symbol to another would not shorten it. For the standard Gaussian tables
// the cost over the entropy is under 0.3% (docs/entropy.md).
func NewCDF(offset int32, pmf []float64, tailMass float64) (CDF, error) {
	n := len(pmf)
	if n < 1 || n > MaxSymbols {
		return CDF{}, fmt.Errorf("%w: pmf has %d values, want 1..%d", ErrTable, n, MaxSymbols)
	}
	if int64(offset)+int64(n)-1 > math.MaxInt32 {
		return CDF{}, fmt.Errorf("%w: pmf range %d+%d overflows int32", ErrTable, offset, n)
	}
	w := make([]uint64, n+1)
	var total uint64
	for i := 0; i <= n; i++ {
		p := tailMass
		if i < n {
			p = pmf[i]
		}
		if !(p >= 0 && p <= 1) { // also rejects NaN
			return CDF{}, fmt.Errorf("%w: probability %d is %v, want a number in [0, 1]", ErrTable, i, p)
		}
		w[i] = uint64(math.Round(p * weightScale))
		total += w[i]
	}
	if total == 0 {
		return CDF{}, fmt.Errorf("%w: all probabilities are zero", ErrTable)
	}
	freq := quantizeWeights(w, total)
	cum := make([]uint32, n+2)
	for i, f := range freq {
		cum[i+1] = cum[i] + f
	}
	return CDF{Offset: offset, Cum: cum}, nil
}

// quantizeWeights returns counts >= 1 summing to Precision, close to
// proportional to w; total = sum(w) > 0 and len(w) <= Precision.
//
// The counts maximize sum_i w_i·G(f_i), where G(f+1)−G(f) = 1/(f+½): a
// concave stand-in for sum_i w_i·ln f_i (the negated code length) whose
// marginal values compare exactly in integers. They start at the rounded
// proportional share; counts are then added or taken one at a time where
// that helps most or hurts least until they sum to Precision, and finally
// moved one at a time from the cheapest donor to the most rewarding receiver
// while that helps. Each move strictly improves the objective, so the loop
// ends, and for a separable concave objective the local optimum it ends in
// is the global one. Products stay below 2^50: weights are at most 2^32 and
// counts at most 2^16.
func quantizeWeights(w []uint64, total uint64) []uint32 {
	n := len(w)
	freq := make([]uint32, n)
	// Start from the proportional share of the counts left once the symbols
	// whose share rounds below 1 have their forced count: share Precision−F
	// among weight total−WF. A few passes settle F; the greedy steps below
	// then correct at most a rounding error per symbol.
	budget, weight := uint64(Precision), total
	for range 8 {
		var forced, forcedW uint64
		for _, wi := range w {
			if 2*wi*budget < weight {
				forced++
				forcedW += wi
			}
		}
		nb, nw := Precision-forced, total-forcedW
		if nw == 0 || (nb == budget && nw == weight) {
			break
		}
		budget, weight = nb, nw
	}
	var sum int64
	for i, wi := range w {
		f := (wi*budget + weight/2) / weight
		freq[i] = uint32(max(f, 1))
		sum += int64(freq[i])
	}
	// gain(i) > gain(j), gain = w/(f+½); cost(i) < cost(j), cost = w/(f−½).
	// Ties go to the lower index, for determinism.
	better := func(i, j int32) bool {
		a, b := w[i]*(2*uint64(freq[j])+1), w[j]*(2*uint64(freq[i])+1)
		return a > b || (a == b && i < j)
	}
	cheaper := func(i, j int32) bool {
		a, b := w[i]*(2*uint64(freq[j])-1), w[j]*(2*uint64(freq[i])-1)
		return a < b || (a == b && i < j)
	}
	up := newSymHeap(n, better)    // every symbol can receive
	down := newSymHeap(n, cheaper) // symbols with a count to spare
	for i := range n {
		up.push(int32(i))
		if freq[i] > 1 {
			down.push(int32(i))
		}
	}
	inc := func(i int32) {
		freq[i]++
		up.fix(i)
		if freq[i] == 2 {
			down.push(i)
		} else {
			down.fix(i)
		}
	}
	dec := func(i int32) {
		freq[i]--
		up.fix(i)
		if freq[i] == 1 {
			down.remove(i)
		} else {
			down.fix(i)
		}
	}
	for ; sum < Precision; sum++ {
		inc(up.idx[0])
	}
	for ; sum > Precision; sum-- {
		dec(down.idx[0]) // not empty: len(w) <= Precision < sum
	}
	// A move from j to i pays when gain(i) > cost(j), i.e. when
	// w_i·(2f_j−1) > w_j·(2f_i+1). The best receiver and donor may be the
	// same symbol (never worth it), then try each one's runner-up.
	pays := func(i, j int32) bool {
		return i >= 0 && j >= 0 && i != j && w[i]*(2*uint64(freq[j])-1) > w[j]*(2*uint64(freq[i])+1)
	}
	for len(down.idx) > 0 {
		i, j := up.idx[0], down.idx[0]
		switch {
		case pays(i, j):
		case i == j && pays(up.second(), j):
			i = up.second()
		case i == j && pays(i, down.second()):
			j = down.second()
		default:
			return freq
		}
		inc(i)
		dec(j)
	}
	return freq
}

// symHeap is a binary heap of symbol ids that knows where each id sits, so
// an id whose count changed can be moved in O(log n).
type symHeap struct {
	idx  []int32 // heap order; idx[0] is the best
	pos  []int32 // pos[id] is id's place in idx, or -1
	less func(a, b int32) bool
}

func newSymHeap(n int, less func(a, b int32) bool) *symHeap {
	h := &symHeap{idx: make([]int32, 0, n), pos: make([]int32, n), less: less}
	for i := range h.pos {
		h.pos[i] = -1
	}
	return h
}

func (h *symHeap) Len() int           { return len(h.idx) }
func (h *symHeap) Less(a, b int) bool { return h.less(h.idx[a], h.idx[b]) }
func (h *symHeap) Swap(a, b int) {
	h.idx[a], h.idx[b] = h.idx[b], h.idx[a]
	h.pos[h.idx[a]], h.pos[h.idx[b]] = int32(a), int32(b)
}
func (h *symHeap) Push(x any) {
	id := x.(int32)
	h.pos[id] = int32(len(h.idx))
	h.idx = append(h.idx, id)
}
func (h *symHeap) Pop() any {
	id := h.idx[len(h.idx)-1]
	h.idx = h.idx[:len(h.idx)-1]
	h.pos[id] = -1
	return id
}

func (h *symHeap) push(id int32)   { heap.Push(h, id) }
func (h *symHeap) fix(id int32)    { heap.Fix(h, int(h.pos[id])) }
func (h *symHeap) remove(id int32) { heap.Remove(h, int(h.pos[id])) }

// second returns the runner-up (the better child of the top), or -1.
func (h *symHeap) second() int32 {
	switch len(h.idx) {
	case 0, 1:
		return -1
	case 2:
		return h.idx[1]
	}
	if h.less(h.idx[2], h.idx[1]) {
		return h.idx[2]
	}
	return h.idx[1]
}
