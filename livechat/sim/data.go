package sim

import (
	"math"
	"math/bits"
)

// The simulated account. These tables are read-only.
var (
	agentLogins = [...]string{
		"anna.kowalska@example.com",
		"john.smith@example.com",
		"maria.garcia@example.com",
		"piotr.nowak@example.com",
		"emma.jones@example.com",
		"lukas.meyer@example.com",
	}
	// agentWeight is each agent's share of the chats (sums to 1).
	agentWeight = [nAgents]float64{0.2, 0.17, 0.15, 0.18, 0.13, 0.17}
	// chatGood and ticketGood are each agent's chance of a good rating, so
	// the rankings differ.
	chatGood   = [nAgents]uint64{pct16(90), pct16(84), pct16(88), pct16(80), pct16(93), pct16(86)}
	ticketGood = [nAgents]uint64{pct16(82), pct16(78), pct16(85), pct16(74), pct16(88), pct16(80)}

	// memberships lists every (agent, group) pair with the agent's share of
	// its chats in that group; an agent belongs to one or two of the groups
	// 0, 1 and 2.
	memberships = [...]struct {
		agent, group int
		share        float64
	}{
		{0, 0, 1}, {1, 0, 0.6}, {1, 1, 0.4}, {2, 1, 1}, {3, 1, 0.7},
		{3, 2, 0.3}, {4, 2, 1}, {5, 0, 0.5}, {5, 2, 0.5},
	}

	// tagNames are the tags; the last tag slot (index len(tagNames)) holds
	// untagged chats, which only unfiltered answers include.
	tagNames  = [...]string{"sales", "billing", "vip", "bug"}
	tagWeight = [nTags]float64{0.3, 0.25, 0.1, 0.15, 0.2}
)

const (
	nAgents = 6
	nTags   = len(tagNames) + 1
	nPairs  = len(memberships)
	// nCells is the number of cells per hour, one per (membership, tag);
	// cell c is membership c/nTags with tag c%nTags. It fits a uint64 mask.
	nCells = nPairs * nTags

	nDayLevels = 5
	nLevels    = nKinds * 2 * nDayLevels

	// accountOffset is the account's "local-ish" UTC offset in hours that
	// the seasonality follows: busy 9-17 on weekdays there.
	accountOffset = 1

	// Chats per hour at a normal weekday peak, for the whole account, and
	// new tickets likewise: a few hundred chats and about 120 tickets a week.
	chatsPerPeakHour   = 7.4
	ticketsPerPeakHour = 1.6
)

// Hour kinds, by the hour of day in the account's own zone (UTC+1).
const (
	kindPeak     = iota // 9:00-17:00
	kindShoulder        // 7:00-9:00 and 17:00-20:00
	kindNight
	nKinds
)

// Salts keep the hash streams of different quantities apart.
const (
	saltChat uint64 = iota + 1
	saltTicket
	saltAvail
	saltOffDay
	saltDay
	saltFault
	saltOcc
	salt2
	salt3
	saltV36 // v3.6-only quantities: drawn apart, so v2's numbers do not move
)

var (
	hourKindFactor  = [nKinds]float64{1, 0.35, 0.03}
	weekendFactor   = [2]float64{1, 0.2}
	dayLevelFactor  = [nDayLevels]float64{0.75, 0.9, 1, 1.1, 1.25}
	ticketKind      = [nKinds]float64{1, 0.5, 0.25}
	ticketWeekend   = [2]float64{1, 0.4}
	queuePct        = [nKinds]uint64{25, 8, 2}
	leftQueuePct    = [nKinds]uint64{6, 2, 1}
	weekdayAbbrevs  = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	engageAuto      = pct16(30)
	engageManual    = pct16(40) // cumulative: 10% manual
	chatRated       = pct16(35)
	ticketMailUpTo  = pct16(85) // after 30% chat window: 55% mail, 15% chat
	ticketWindowMax = pct16(30)
)

func pct16(p uint64) uint64 { return p * 65536 / 100 }

// model holds the per-seed tables derived once in New; read-only afterwards.
type model struct {
	seed    uint64
	chatLam [nLevels][nCells]float64
	chatExp [nLevels][nCells]float64
	tickLam [nLevels][nCells]float64
	tickExp [nLevels][nCells]float64
}

func newModel(seed int64) *model {
	m := &model{seed: mix(uint64(seed) ^ 0x5851f42d4c957f2d)}
	for kind := range nKinds {
		for we := range 2 {
			for dl := range nDayLevels {
				l := levelIndex(kind, we, dl)
				for c := range nCells {
					ms := memberships[c/nTags]
					share := agentWeight[ms.agent] * ms.share * tagWeight[c%nTags]
					lc := chatsPerPeakHour * hourKindFactor[kind] * weekendFactor[we] * dayLevelFactor[dl] * share
					lt := ticketsPerPeakHour * ticketKind[kind] * ticketWeekend[we] * dayLevelFactor[dl] * share
					m.chatLam[l][c], m.chatExp[l][c] = lc, math.Exp(-lc)
					m.tickLam[l][c], m.tickExp[l][c] = lt, math.Exp(-lt)
				}
			}
		}
	}
	return m
}

func levelIndex(kind, weekend, dayLevel int) int {
	return (kind*2+weekend)*nDayLevels + dayLevel
}

// hourInfo is what the seasonality knows about one UTC hour.
type hourInfo struct {
	kind, weekend, level int
	day                  int64 // account-local day number
	hod                  int   // account-local hour of day
}

func (m *model) hour(h int64) hourInfo {
	local := h + accountOffset
	day := floorDiv(local, 24)
	hod := int(local - day*24)
	wd := int(((day+4)%7 + 7) % 7) // 1970-01-01 was a Thursday
	var i hourInfo
	i.day, i.hod = day, hod
	if wd == 0 || wd == 6 {
		i.weekend = 1
	}
	switch {
	case hod >= 9 && hod < 17:
		i.kind = kindPeak
	case hod >= 7 && hod < 20:
		i.kind = kindShoulder
	default:
		i.kind = kindNight
	}
	i.level = levelIndex(i.kind, i.weekend, int(hash(m.seed, saltDay, uint64(day), 0)%nDayLevels))
	return i
}

// stats is the sum of some cells. Times are whole seconds (or minutes) so
// sums are exact; averages are computed only when answering.
type stats struct {
	chats, auto, manual, immediate   int64
	rated, good, bad, goals          int64
	frtCount, frtSum, rtCount, rtSum int64
	chatMinutes                      int64
	displayed, accepted, greetGoals  int64
	queued, left, entered            wait

	tickets, window, mail, fromChat int64
	solved, tFrtCount, tFrtSum      int64
	resCount, resSum, tGood, tBad   int64

	availMinutes int64

	// Quantities only v3.6 reports: continuous (messaging-mode) chats,
	// chats nobody replied to, chat durations in seconds (the whole chat
	// and the agents' part of it), greetings dismissed, and greetings per
	// greeting ID (the v2 totals split up).
	continuous, unreplied int64
	durSum, agentDurSum   int64
	canceled              int64
	greet                 [nGreetings]greetStats
	// visitors, when not nil, collects the visitor of every chat, and
	// pageViews their page views (customers/unique_visitors).
	visitors  map[uint64]bool
	pageViews int64
}

// greetStats is one greeting's numbers.
type greetStats struct{ displayed, accepted, goals, canceled int64 }

// greetingIDs are the simulated account's greetings.
var greetingIDs = [...]string{"11", "12", "18", "19", "27"}

const nGreetings = len(greetingIDs)

// visitorPool is how many distinct visitors chat over time: a visitor
// comes back, so unique visitors of two ranges do not add up.
const visitorPool = 4000

// wait is a count, sum, min and max of waiting times in seconds.
type wait struct{ count, sum, min, max int64 }

func (w *wait) add(sec int64) {
	if w.count == 0 || sec < w.min {
		w.min = sec
	}
	if w.count == 0 || sec > w.max {
		w.max = sec
	}
	w.count++
	w.sum += sec
}

func (w *wait) merge(o wait) {
	if o.count == 0 {
		return
	}
	if w.count == 0 || o.min < w.min {
		w.min = o.min
	}
	if w.count == 0 || o.max > w.max {
		w.max = o.max
	}
	w.count += o.count
	w.sum += o.sum
}

// family selects which quantities to generate: only what a report needs.
type family uint8

const (
	famChat family = 1 << iota
	famTicket
	famAvail
)

// addHour adds the cells of UTC hour h selected by cells (a mask over cell
// indices) and agents (a mask over agent indices, for availability) to st.
func (m *model) addHour(st *stats, h int64, fam family, cells uint64, agents uint8) {
	info := m.hour(h)
	if fam&famChat != 0 {
		for cs := cells; cs != 0; cs &= cs - 1 {
			m.chatCell(st, h, bits.TrailingZeros64(cs), info)
		}
	}
	if fam&famTicket != 0 {
		for cs := cells; cs != 0; cs &= cs - 1 {
			m.ticketCell(st, h, bits.TrailingZeros64(cs), info)
		}
	}
	if fam&famAvail != 0 {
		for a := range nAgents {
			if agents&(1<<a) != 0 {
				st.availMinutes += m.availMinutes(h, a, info)
			}
		}
	}
}

// chatCell adds the chats of cell c in hour h.
func (m *model) chatCell(st *stats, h int64, c int, info hourInfo) {
	k := hash(m.seed, saltChat, uint64(h), uint64(c))
	n := poisson(k, m.chatLam[info.level][c], m.chatExp[info.level][c])
	agent := memberships[c/nTags].agent
	for i := range n {
		ki := mix(k + uint64(i+1)*0x9e3779b97f4a7c15)
		st.chats++
		invited := true
		switch e := ki & 0xffff; {
		case e < engageAuto:
			st.auto++
		case e < engageManual:
			st.manual++
		default:
			st.immediate++
			invited = false
		}
		goal := (ki>>48)&0xff < 20
		if goal {
			st.goals++
		}
		if (ki>>16)&0xffff < chatRated {
			st.rated++
			if (ki>>32)&0xffff < chatGood[agent] {
				st.good++
			} else {
				st.bad++
			}
		}
		k2 := mix(ki ^ salt2)
		st.frtCount++
		st.frtSum += int64(20 + k2%36 + (k2>>8)%36)
		msgs := int64(2 + (k2>>16)%7)
		st.rtCount += msgs
		st.rtSum += msgs * int64(15+(k2>>24)%40)
		st.chatMinutes += int64(4 + (k2>>32)%22)
		if (k2>>40)%100 < queuePct[info.kind] {
			sec := int64(5 + (k2>>48)%150)
			st.entered.add(sec)
			st.queued.add(sec)
		}
		declined := int64((k2 >> 58) % 4)
		st.displayed += declined
		if invited {
			st.displayed++
			st.accepted++
			if goal {
				st.greetGoals++
			}
		}
		k3 := mix(k2 ^ salt3)
		if k3%100 < leftQueuePct[info.kind] {
			sec := int64(20 + (k3>>8)%280)
			st.left.add(sec)
			st.queued.add(sec)
		}
		m.chatV36(st, ki, k2, declined, invited, goal)
	}
}

// chatV36 adds the v3.6-only quantities of one chat (ki and k2 are its
// hashes in chatCell), from a hash stream of their own.
func (m *model) chatV36(st *stats, ki, k2 uint64, declined int64, invited, goal bool) {
	k4 := mix(ki ^ saltV36)
	if st.visitors != nil {
		st.visitors[visitorOf(ki)] = true
		st.pageViews += int64(1 + (k4>>40)%9)
	}
	if k4%100 < 40 {
		st.continuous++
	}
	if (k4>>8)%100 < 4 {
		st.unreplied++
	}
	agentSec := int64(4+(k2>>32)%22) * 60 // the chat's minutes in chatCell
	st.agentDurSum += agentSec
	st.durSum += agentSec + int64((k4>>16)%600)
	canceled := (declined + 1) / 2
	st.canceled += canceled
	g := &st.greet[(k4>>32)%uint64(nGreetings)]
	g.displayed += declined
	g.canceled += canceled
	if invited {
		g.displayed++
		g.accepted++
		if goal {
			g.goals++
		}
	}
}

// visitorOf is the visitor of the chat with hash ki.
func visitorOf(ki uint64) uint64 { return (mix(ki^saltV36) >> 44) % visitorPool }

// ticketCell adds the tickets of cell c in hour h. A ticket's response,
// solution and rating are counted in the hour it was created: the simulator
// has no need to follow tickets over time.
func (m *model) ticketCell(st *stats, h int64, c int, info hourInfo) {
	k := hash(m.seed, saltTicket, uint64(h), uint64(c))
	n := poisson(k, m.tickLam[info.level][c], m.tickExp[info.level][c])
	agent := memberships[c/nTags].agent
	for j := range n {
		tj := mix(k + uint64(j+1)*0x9e3779b97f4a7c15)
		st.tickets++
		switch s := tj & 0xffff; {
		case s < ticketWindowMax:
			st.window++
		case s < ticketMailUpTo:
			st.mail++
		default:
			st.fromChat++
		}
		if (tj>>16)&0xff < 243 {
			st.tFrtCount++
			st.tFrtSum += int64(600 + ((tj>>24)&0xffff)%42600)
		}
		t2 := mix(tj ^ salt2)
		if t2&0xff < 218 {
			st.solved++
			a, b := int64(1800+(t2>>8)%171000), int64(1800+(t2>>28)%171000)
			st.resCount++
			st.resSum += min(a, b)
			if (t2>>48)&0xff < 77 {
				if (t2>>32)&0xffff < ticketGood[agent] {
					st.tGood++
				} else {
					st.tBad++
				}
			}
		}
	}
}

// availMinutes is how many whole minutes agent a was online in hour h.
func (m *model) availMinutes(h int64, a int, info hourInfo) int64 {
	k := hash(m.seed, saltAvail, uint64(h), uint64(a))
	if info.weekend == 1 {
		if int(((info.day%nAgents)+nAgents)%nAgents) == a && info.hod >= 10 && info.hod < 16 {
			return int64(30 + k%31)
		}
		return 0
	}
	if hash(m.seed, saltOffDay, uint64(info.day), uint64(a))%10 == 0 {
		return 0 // a day off
	}
	switch {
	case info.hod >= 8 && info.hod < 17:
		return int64(40 + k%21)
	case info.kind == kindShoulder && k&1 == 0:
		return int64((k >> 8) % 31)
	}
	return 0
}

// occupancy is the most chats that ran at once during UTC hour h.
func (m *model) occupancy(h int64) int64 {
	var st stats
	info := m.hour(h)
	for c := range nCells {
		m.chatCell(&st, h, c, info)
	}
	if st.chats == 0 {
		return 0
	}
	peak := 1 + st.chatMinutes/60 + int64(hash(m.seed, saltOcc, uint64(h), 0)&1)
	return min(peak, st.chats)
}

// poisson draws a Poisson(lambda) count from the hash k by inverting the
// distribution function; expNeg is exp(-lambda).
func poisson(k uint64, lambda, expNeg float64) int {
	u := float64(k>>11) / (1 << 53)
	n, p, cum := 0, expNeg, expNeg
	for u > cum && n < 64 {
		n++
		p *= lambda / float64(n)
		cum += p
	}
	return n
}

// mix is the splitmix64 finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func hash(seed, salt, a, b uint64) uint64 {
	x := mix(seed ^ salt)
	x = mix(x + a*0x9e3779b97f4a7c15)
	return mix(x + b*0xc2b2ae3d27d4eb4f)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
