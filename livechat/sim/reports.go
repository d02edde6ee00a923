package sim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"time"
)

// The JSON shapes of the answers, written from here and nowhere else.
type (
	countJSON struct {
		Count int64 `json:"count"`
	}
	secondJSON struct {
		Seconds *float64 `json:"seconds"`
	}
	waitJSON struct {
		Count   int64      `json:"count"`
		Min     secondJSON `json:"min"`
		Max     secondJSON `json:"max"`
		Average secondJSON `json:"average"`
	}
	respJSON struct {
		Count   int64    `json:"count"`
		Seconds *float64 `json:"seconds"`
	}
	ticketTimeJSON struct {
		Count int64    `json:"count"`
		Hours *float64 `json:"hours"`
	}
	rankJSON struct {
		Good  int64   `json:"good"`
		Bad   int64   `json:"bad"`
		Total int64   `json:"total"`
		Score float64 `json:"score"`
		Name  string  `json:"name"`
	}
)

// endpoints maps the path below /reports/ to its description. Read-only.
var endpoints = map[string]*endpoint{
	"chats/total_chats": {accepts: pFull, fam: famChat, value: func(st *stats, _ bool) any {
		return struct {
			Chats int64 `json:"chats"`
		}{st.chats}
	}},
	"chats/engagement": {accepts: pFull, fam: famChat, value: func(st *stats, _ bool) any {
		return struct {
			Auto      int64 `json:"chats_from_auto_invite"`
			Immediate int64 `json:"chats_from_immediate_start"`
			Manual    int64 `json:"chats_from_manual_invite"`
		}{st.auto, st.immediate, st.manual}
	}},
	"chats/ratings": {accepts: pFull, fam: famChat, value: func(st *stats, _ bool) any {
		return struct {
			Bad   int64 `json:"bad"`
			Good  int64 `json:"good"`
			Chats int64 `json:"chats"`
		}{st.bad, st.good, st.chats}
	}},
	"chats/ratings/ranking": {accepts: pDates | pGroup | pTag, shape: shapeChatRanking, fam: famChat},
	"chats/queued_visitors": {accepts: pDates | pTimezone | pGroup | pGroupBy, fam: famChat, value: func(st *stats, _ bool) any {
		return struct {
			Queued      countJSON `json:"queued"`
			LeftQueue   countJSON `json:"left_queue"`
			EnteredChat countJSON `json:"entered_chat"`
		}{countJSON{st.queued.count}, countJSON{st.left.count}, countJSON{st.entered.count}}
	}},
	"chats/queued_visitors/waiting_times": {accepts: pDates | pTimezone | pGroup | pGroupBy, fam: famChat, value: func(st *stats, _ bool) any {
		return struct {
			Queued      waitJSON `json:"queued"`
			LeftQueue   waitJSON `json:"left_queue"`
			EnteredChat waitJSON `json:"entered_chat"`
		}{waitOf(st.queued), waitOf(st.left), waitOf(st.entered)}
	}},
	"availability": {accepts: pDates | pTimezone | pGroup | pAgent, shape: shapeMinutes, fam: famAvail, value: func(st *stats, minutes bool) any {
		return duration(st.availMinutes, minutes)
	}},
	"chats/chatting_time": {accepts: pDates | pGroup | pAgent | pTag, shape: shapeMinutes, fam: famChat, value: func(st *stats, minutes bool) any {
		return duration(st.chatMinutes, minutes)
	}},
	"chats/first_response_time": {accepts: pDates | pGroup | pAgent | pGroupBy | pTag, fam: famChat, value: func(st *stats, _ bool) any {
		return struct {
			FRT respJSON `json:"first_response_time"`
		}{respJSON{st.frtCount, avg(st.frtSum, st.frtCount, 1)}}
	}},
	"chats/response_time": {accepts: pDates | pGroup | pAgent | pGroupBy | pTag, fam: famChat, value: func(st *stats, _ bool) any {
		return struct {
			RT respJSON `json:"avg_response_time"`
		}{respJSON{st.rtCount, avg(st.rtSum, st.rtCount, 1)}}
	}},
	"chats/agents_occupancy": {accepts: pDates | pWeekday, shape: shapeOccupancy, fam: famChat},
	"chats/goals": {accepts: pFull, fam: famChat, value: func(st *stats, _ bool) any {
		return struct {
			Goals int64 `json:"goals"`
		}{st.goals}
	}},
	"chats/greetings": {accepts: pDates | pTimezone | pGroup | pGroupBy | pTag, fam: famChat, value: func(st *stats, _ bool) any {
		return struct {
			Displayed int64 `json:"displayed"`
			Accepted  int64 `json:"accepted"`
			Goals     int64 `json:"goals"`
		}{st.displayed, st.accepted, st.greetGoals}
	}},
	"tickets/new_tickets": {accepts: pDates | pTimezone | pGroup | pGroupBy | pTag, fam: famTicket, value: func(st *stats, _ bool) any {
		return struct {
			N int64 `json:"new_tickets"`
		}{st.tickets}
	}},
	"tickets/first_response_time": {accepts: pFull, fam: famTicket, value: func(st *stats, _ bool) any {
		return ticketTimeJSON{st.tFrtCount, avg(st.tFrtSum, st.tFrtCount, 3600)}
	}},
	"tickets/solved_tickets": {accepts: pFull, fam: famTicket, value: func(st *stats, _ bool) any {
		return struct {
			N int64 `json:"solved_tickets"`
		}{st.solved}
	}},
	"tickets/resolution_time": {accepts: pFull, fam: famTicket, value: func(st *stats, _ bool) any {
		return ticketTimeJSON{st.resCount, avg(st.resSum, st.resCount, 3600)}
	}},
	"tickets/ticket_sources": {accepts: pDates | pTimezone | pGroup | pGroupBy | pTag, fam: famTicket, value: func(st *stats, _ bool) any {
		return struct {
			Window int64 `json:"tickets_from_chat_window"`
			Mail   int64 `json:"tickets_from_mail"`
			Chat   int64 `json:"tickets_from_chat"`
		}{st.window, st.mail, st.fromChat}
	}},
	"tickets/ratings": {accepts: pFull, fam: famTicket, value: func(st *stats, _ bool) any {
		return struct {
			Bad  int64 `json:"bad"`
			Good int64 `json:"good"`
		}{st.tBad, st.tGood}
	}},
	"tickets/ratings/ranking": {accepts: pDates | pGroup | pTag, shape: shapeTicketRanking, fam: famTicket},
}

// avg is sum/count/unit, or nil (JSON null) when nothing was counted. It is
// not rounded, so count-weighting the buckets gives the exact period mean.
func avg(sum, count int64, unit float64) *float64 {
	if count == 0 {
		return nil
	}
	v := float64(sum) / float64(count) / unit
	return &v
}

func waitOf(w wait) waitJSON {
	if w.count == 0 {
		return waitJSON{}
	}
	lo, hi := float64(w.min), float64(w.max)
	return waitJSON{Count: w.count, Min: secondJSON{&lo}, Max: secondJSON{&hi}, Average: secondJSON{avg(w.sum, w.count, 1)}}
}

// duration renders whole minutes as {"minutes": m} for an hour bucket of a
// single day and as unrounded {"hours": h} otherwise.
func duration(minutes int64, perHour bool) any {
	if perHour {
		return struct {
			Minutes int64 `json:"minutes"`
		}{minutes}
	}
	return struct {
		Hours float64 `json:"hours"`
	}{float64(minutes) / 60}
}

// bucket is one key of a bucketed answer.
type bucket struct {
	key, begin, end string
	st              stats
}

// buckets sums the selected cells into the query's buckets. A cell belongs
// to the bucket in which its UTC hour starts, read in q.loc.
func (s *Server) buckets(q *query, fam family) []bucket {
	var bs []bucket
	fy, fm, _ := dayDate(q.from)
	switch q.gran {
	case byHour:
		bs = make([]bucket, 24)
		for i := range bs {
			bs[i].key = strconv.Itoa(i/10) + strconv.Itoa(i%10) + ":00"
		}
	case byDay:
		bs = make([]bucket, q.to-q.from+1)
		for i := range bs {
			bs[i].key = dayString(q.from + int64(i))
		}
	case byMonth:
		for d := q.from; d <= q.to; {
			y, m, _ := dayDate(d)
			next := dayOf(time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC))
			end := min(next-1, q.to)
			bs = append(bs, bucket{key: dayString(d)[:7], begin: dayString(d), end: dayString(end)})
			d = next
		}
	}
	start := dayStart(q.from, q.loc).Unix()
	end := dayStart(q.to+1, q.loc).Unix()
	for h := floorDiv(start, 3600); h*3600 < end; h++ {
		t := time.Unix(h*3600, 0).In(q.loc)
		y, m, d := t.Date()
		dn := civilDay(y, m, d)
		if dn < q.from || dn > q.to {
			continue
		}
		var i int
		switch q.gran {
		case byHour:
			i = t.Hour()
		case byDay:
			i = int(dn - q.from)
		case byMonth:
			i = (y-fy)*12 + int(m-fm)
		}
		s.m.addHour(&bs[i].st, h, fam, q.cells, q.agents)
	}
	return bs
}

// answer renders the JSON answer of ep for q.
func (s *Server) answer(ep *endpoint, q *query, now time.Time) []byte {
	switch ep.shape {
	case shapeChatRanking, shapeTicketRanking:
		return s.ranking(ep, q)
	case shapeOccupancy:
		return s.occupancy(q, now)
	}
	perHour := ep.shape == shapeMinutes && q.from == q.to
	if ep.shape == shapeMinutes {
		q.gran = byDay // these reports do not take group_by
		if perHour {
			q.gran = byHour
		}
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, bk := range s.buckets(q, ep.fam) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(bk.key))
		b.WriteByte(':')
		v, _ := json.Marshal(ep.value(&bk.st, perHour)) // plain structs: cannot fail
		if bk.begin != "" {
			b.WriteString(`{"begin":` + strconv.Quote(bk.begin) + `,"end":` + strconv.Quote(bk.end))
			if len(v) > 2 {
				b.WriteByte(',')
			}
			v = v[1:]
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// ranking answers a ranking: per agent over the range (UTC days), sorted by
// score, best first, as the API sorts it. Agents without ratings are left out.
func (s *Server) ranking(ep *endpoint, q *query) []byte {
	var per [nAgents]struct{ good, bad int64 }
	start := q.from * 24
	end := (q.to + 1) * 24
	for h := start; h < end; h++ {
		info := s.m.hour(h)
		for c := range nCells {
			if q.cells&(1<<c) == 0 {
				continue
			}
			var st stats
			a := memberships[c/nTags].agent
			if ep.shape == shapeChatRanking {
				s.m.chatCell(&st, h, c, info)
				per[a].good += st.good
				per[a].bad += st.bad
			} else {
				s.m.ticketCell(&st, h, c, info)
				per[a].good += st.tGood
				per[a].bad += st.tBad
			}
		}
	}
	out := struct {
		Ranking []rankJSON `json:"ranking"`
	}{Ranking: []rankJSON{}}
	for a, p := range per {
		if t := p.good + p.bad; t > 0 {
			out.Ranking = append(out.Ranking, rankJSON{Good: p.good, Bad: p.bad, Total: t,
				Score: float64(p.good) / float64(t), Name: agentLogins[a]})
		}
	}
	slices.SortStableFunc(out.Ranking, func(x, y rankJSON) int {
		if c := cmp.Compare(y.Score, x.Score); c != 0 {
			return c
		}
		return cmp.Compare(y.Total, x.Total)
	})
	v, _ := json.Marshal(out)
	return v
}

// occupancy answers agents_occupancy: every hour (UTC) of every date with
// the requested weekday in the range, or of the last four such dates up to
// today when no dates were given.
func (s *Server) occupancy(q *query, now time.Time) []byte {
	var days []int64
	if q.defDates {
		d := dayOf(now.UTC())
		for weekdayOf(d) != q.weekday {
			d--
		}
		for i := occupancyWeeks - 1; i >= 0; i-- {
			days = append(days, d-int64(7*i))
		}
	} else {
		for d := q.from; d <= q.to; d++ {
			if weekdayOf(d) == q.weekday {
				days = append(days, d)
			}
		}
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, d := range days {
		for hod := range 24 {
			if i > 0 || hod > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + dayString(d) + " " + strconv.Itoa(hod/10) + strconv.Itoa(hod%10) + `:00":`)
			b.WriteString(strconv.FormatInt(s.m.occupancy(d*24+int64(hod)), 10))
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

func weekdayOf(d int64) time.Weekday {
	return time.Weekday(((d+4)%7 + 7) % 7)
}
