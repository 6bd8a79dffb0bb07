package main

// Serf 0.9.4's gossip structs (messages.go, serf.go, query.go, internal_query.go, keymanager.go),
// declared exactly as Serf declares them: same field names, types, order and tags.

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-msgpack/codec"
)

type LamportTime uint64

type messageLeave struct {
	LTime LamportTime
	Node  string
	Prune bool
}

type messageJoin struct {
	LTime LamportTime
	Node  string
}

type userEvent struct {
	Name    string
	Payload []byte
}

type userEvents struct {
	LTime  LamportTime
	Events []userEvent
}

type messagePushPull struct {
	LTime        LamportTime
	StatusLTimes map[string]LamportTime
	LeftMembers  []string
	EventLTime   LamportTime
	Events       []*userEvents
	QueryLTime   LamportTime
}

type messageUserEvent struct {
	LTime   LamportTime
	Name    string
	Payload []byte
	CC      bool
}

type messageQuery struct {
	LTime       LamportTime
	ID          uint32
	Addr        []byte
	Port        uint16
	SourceNode  string
	Filters     [][]byte
	Flags       uint32
	RelayFactor uint8
	Timeout     time.Duration
	Name        string
	Payload     []byte
}

type messageQueryResponse struct {
	LTime   LamportTime
	ID      uint32
	From    string
	Flags   uint32
	Payload []byte
}

type relayHeader struct {
	DestAddr net.UDPAddr
	DestName string
}

type filterNode []string

type filterTag struct {
	Tag  string
	Expr string
}

type keyRequest struct {
	Key []byte
}

type nodeKeyResponse struct {
	Result     bool
	Message    string
	Keys       []string
	PrimaryKey string
}

type MemberStatus int

type Member struct {
	Name        string
	Addr        net.IP
	Port        uint16
	Tags        map[string]string
	Status      MemberStatus
	ProtocolMin uint8
	ProtocolMax uint8
	ProtocolCur uint8
	DelegateMin uint8
	DelegateMax uint8
	DelegateCur uint8
}

// canon prints a decoded value in the text form the Java test prints its records in:
// structs as {Field=value ...} in declaration order, maps sorted by key, strings and bytes as hex.
func canon(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Ptr:
		if v.IsNil() {
			return "nil"
		}
		return canon(v.Elem())
	case reflect.Struct:
		var b strings.Builder
		b.WriteString("{")
		for i := 0; i < v.NumField(); i++ {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString(v.Type().Field(i).Name + "=" + canon(v.Field(i)))
		}
		b.WriteString("}")
		return b.String()
	case reflect.Map:
		if v.IsNil() {
			return "nil"
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		var b strings.Builder
		b.WriteString("map[")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString(canon(k) + ":" + canon(v.MapIndex(k)))
		}
		b.WriteString("]")
		return b.String()
	case reflect.Slice:
		if v.IsNil() {
			return "nil"
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "b:" + hex.EncodeToString(v.Bytes())
		}
		var b strings.Builder
		b.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString(canon(v.Index(i)))
		}
		b.WriteString("]")
		return b.String()
	case reflect.String:
		return "s:" + hex.EncodeToString([]byte(v.String()))
	case reflect.Bool:
		return fmt.Sprintf("z:%t", v.Bool())
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprintf("u:%d", v.Uint())
	case reflect.Int, reflect.Int64:
		return fmt.Sprintf("i:%d", v.Int())
	}
	panic("kind " + v.Kind().String())
}

// sortedEncode encodes v with go-msgpack until its Go map entries come out in sorted key order
// (maps of at most 8 entries inserted in sorted order iterate as a rotation of that order, so a
// sorted run appears quickly), giving bytes Go produces and that Grapevine's sorted encoder must match.
func sortedEncode(v interface{}, check func([]byte) bool) []byte {
	for i := 0; i < 100000; i++ {
		b := mpEncode(v)
		if check(b) {
			return b
		}
	}
	panic("no sorted encoding found")
}

// inOrder rebuilds m inserting its keys in sorted order, so that Go's iteration (a rotation of the
// insertion order for maps of at most 8 entries) can produce the sorted order.
func inOrder(m map[string]string) map[string]string {
	keys := []string{}
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]string)
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

func inOrderU(m map[string]LamportTime) map[string]LamportTime {
	keys := []string{}
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]LamportTime)
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

// keysSortedAfter reports whether the keys in want (sorted) appear in that order in b after marker.
func keysSortedAfter(b []byte, marker []byte, want []string) bool {
	start := bytes.Index(b, marker)
	if start < 0 {
		panic("marker not found")
	}
	return keysSortedUTF8(b[start+len(marker):], want)
}

func writeSerf(dir string) {
	f, err := os.Create(filepath.Join(dir, "serf-golden.txt"))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	w := &writer{f}
	w.line("# Generated by membership/src/test/go/vectors (go-msgpack 0.5.5, Serf 0.9.4 structs). Do not edit.")
	w.line("# case <name> <kind> / canon <Go's value> / hex <Go's bytes> / end: Java must decode to the same value and")
	w.line("# re-encode to the same bytes. decode <name> <kind> / hex <input> / canon <value> or err <go error> / end:")
	w.line("# Java must decode Go-encoded input (Go map order is random) to the same value, or reject it.")

	golden := func(name, kind string, v interface{}, b []byte) {
		w.line("case %s %s", name, kind)
		w.line("canon %s", canon(reflect.ValueOf(v)))
		w.line("hex %s", hex.EncodeToString(b))
		w.line("end")
	}
	msg := func(name string, t byte, v interface{}) {
		golden(name, "msg", v, encodeMsg(t, v))
	}

	strs := []string{"", "a", str(31), str(32), str(255), str(256), "ñødé-☃-😀"}
	byteSlices := [][]byte{nil, {}, ipv4, ipv6, mapped, bs(31), bs(32), bs(255), bs(256), bs(300)}
	u64s := []LamportTime{0, 1, 127, 128, 255, 256, 65535, 65536, 1<<32 - 1, 1 << 32, 1<<63 - 1}
	for i, x := range u64s {
		msg(fmt.Sprintf("leave-ltime-%d", i), 0, &messageLeave{LTime: x, Node: "b", Prune: i%2 == 0})
		msg(fmt.Sprintf("join-ltime-%d", i), 1, &messageJoin{LTime: x, Node: "node-1"})
		msg(fmt.Sprintf("event-ltime-%d", i), 3, &messageUserEvent{LTime: x, Name: "deploy", Payload: []byte("v1"), CC: i%3 == 0})
		msg(fmt.Sprintf("response-ltime-%d", i), 5, &messageQueryResponse{LTime: x, ID: uint32(i * 1000003), From: "a", Flags: uint32(i % 2)})
	}
	for i, s := range strs {
		msg(fmt.Sprintf("leave-str-%d", i), 0, &messageLeave{LTime: 7, Node: s})
		msg(fmt.Sprintf("event-str-%d", i), 3, &messageUserEvent{LTime: 9, Name: s, Payload: []byte(s)})
	}
	for i, b := range byteSlices {
		msg(fmt.Sprintf("event-payload-%d", i), 3, &messageUserEvent{LTime: 2, Name: "n", Payload: b, CC: true})
		msg(fmt.Sprintf("response-payload-%d", i), 5, &messageQueryResponse{LTime: 2, ID: 77, From: "b", Payload: b})
	}
	timeouts := []time.Duration{0, 1, 127, 128, 2 * time.Second, 1 << 32, -1, -33, -200, -(1 << 31) - 1, 1<<63 - 1, -1 << 63}
	for i, t := range timeouts {
		q := messageQuery{LTime: LamportTime(i), ID: uint32(1<<31 - 1 - i), Addr: ipv4, Port: 7946, SourceNode: "a",
			Flags: uint32(i % 4), RelayFactor: uint8(i * 23), Timeout: t, Name: "q", Payload: []byte("p")}
		msg(fmt.Sprintf("query-timeout-%d", i), 4, &q)
	}
	filterSets := [][][]byte{nil, {}, {{0, 0x90}}, {append([]byte{0}, mpEncode(filterNode{"a", "b"})...),
		append([]byte{1}, mpEncode(&filterTag{Tag: "role", Expr: "^web$"})...)}, {{}, {9}}}
	for i, fs := range filterSets {
		q := messageQuery{LTime: 3, ID: 5, Addr: ipv6, Port: 65535, SourceNode: "src", Filters: fs, Flags: 3,
			RelayFactor: 255, Timeout: time.Second, Name: "_serf_ping"}
		msg(fmt.Sprintf("query-filters-%d", i), 4, &q)
	}
	for i, b := range byteSlices {
		q := messageQuery{LTime: 1, Addr: b, Payload: b, Name: strs[i%len(strs)]}
		msg(fmt.Sprintf("query-bytes-%d", i), 4, &q)
	}
	// Push/pull: maps of at most 8 entries, encoded until Go's order is the sorted one.
	ring := make([]*userEvents, 512)
	ring[1] = &userEvents{LTime: 1, Events: []userEvent{{Name: "deploy", Payload: []byte("hello")}}}
	ring[7] = &userEvents{LTime: 519, Events: []userEvent{{Name: "a"}, {Name: "b", Payload: []byte{}}}}
	ring[9] = &userEvents{LTime: 9}
	pps := []messagePushPull{
		{LTime: 1, StatusLTimes: map[string]LamportTime{}, LeftMembers: []string{}, EventLTime: 1,
			Events: make([]*userEvents, 512), QueryLTime: 1},
		{LTime: 5, StatusLTimes: inOrderU(map[string]LamportTime{"a": 1, "b": 2, "c": 300, "d": 1 << 40}),
			LeftMembers: []string{"c"}, EventLTime: 520, Events: ring, QueryLTime: 70000},
		{},
		{LTime: 2, StatusLTimes: map[string]LamportTime{"x": 1}, Events: []*userEvents{nil, {LTime: 3, Events: []userEvent{}}}},
	}
	for i := range pps {
		p := pps[i]
		names := []string{}
		for k := range p.StatusLTimes {
			names = append(names, k)
		}
		sort.Strings(names)
		marker := append([]byte{0xac}, "StatusLTimes"...)
		b := sortedEncode(&p, func(b []byte) bool { return keysSortedAfter(b, marker, names) })
		golden(fmt.Sprintf("pushpull-%d", i), "msg", &p, append([]byte{2}, b...))
	}
	// Relay: [9] header [inner type] inner
	relays := []struct {
		addr  net.UDPAddr
		name  string
		inner interface{}
	}{
		{net.UDPAddr{IP: net.IP(ipv4), Port: 7946}, "a", &messageQueryResponse{LTime: 3, ID: 9, From: "b", Flags: 1}},
		{net.UDPAddr{IP: net.IP(ipv6), Port: 65535, Zone: "eth0"}, "node-x", &messageQueryResponse{LTime: 1 << 40, ID: 1, From: "c", Payload: bs(200)}},
		{net.UDPAddr{IP: net.IP(mapped), Port: 1}, "", &messageQueryResponse{}},
	}
	for i, r := range relays {
		var buf bytes.Buffer
		enc := codec.NewEncoder(&buf, &codec.MsgpackHandle{})
		buf.WriteByte(9)
		if err := enc.Encode(relayHeader{DestAddr: r.addr, DestName: r.name}); err != nil {
			panic(err)
		}
		buf.WriteByte(5)
		if err := enc.Encode(r.inner); err != nil {
			panic(err)
		}
		w.line("case relay-%d relay", i)
		w.line("canon %s inner=%s", canon(reflect.ValueOf(relayHeader{DestAddr: r.addr, DestName: r.name})),
			hex.EncodeToString(encodeMsg(5, r.inner)))
		w.line("hex %s", hex.EncodeToString(buf.Bytes()))
		w.line("end")
	}
	// Tags (0xFF + map), filters, key request/response, conflict response.
	tagSets := []map[string]string{{}, {"role": "web"}, inOrder(map[string]string{"dc": "eu", "role": "db", "version": "0.9.4"}),
		inOrder(map[string]string{"a": "", "b": str(40), "ñø": "☃"})}
	for i, t := range tagSets {
		names := []string{}
		for k := range t {
			names = append(names, k)
		}
		sort.Strings(names)
		b := sortedEncode(t, func(b []byte) bool { return keysSortedUTF8(b, names) })
		golden(fmt.Sprintf("tags-%d", i), "tags", t, append([]byte{0xff}, b...))
	}
	nodeFilters := []filterNode{nil, {}, {"a"}, {"node-1", "node-2", str(33)}}
	for i, nf := range nodeFilters {
		golden(fmt.Sprintf("filter-node-%d", i), "filter", nf, append([]byte{0}, mpEncode(nf)...))
	}
	for i, ft := range []filterTag{{}, {Tag: "role", Expr: "^web$"}, {Tag: "dc", Expr: str(300)}} {
		golden(fmt.Sprintf("filter-tag-%d", i), "filter", &ft, append([]byte{1}, mpEncode(&ft)...))
	}
	for i, k := range [][]byte{nil, {}, bs(16), bs(24), bs(32)} {
		r := keyRequest{Key: k}
		golden(fmt.Sprintf("keyreq-%d", i), "keyreq", &r, encodeMsg(7, &r))
	}
	krs := []nodeKeyResponse{
		{Result: true},
		{Message: "No keyring to modify (encryption not enabled)"},
		{Message: "Keyring is empty (encryption not enabled)"},
		{Result: true, Keys: []string{"4JhBYyi1maKN0Rf3tpyUFzIyHxZY037pCAwDmDJHJ60="},
			PrimaryKey: "4JhBYyi1maKN0Rf3tpyUFzIyHxZY037pCAwDmDJHJ60="},
		{Result: true, Keys: []string{}, Message: "truncated key list response, showing first 0 of 3 keys"},
		{Message: "key size must be 16, 24 or 32 bytes"},
	}
	for i := range krs {
		golden(fmt.Sprintf("keyresp-%d", i), "keyresp", &krs[i], encodeMsg(8, &krs[i]))
	}
	members := []*Member{nil,
		{Name: "a", Addr: net.IP(ipv4), Port: 7946, Tags: map[string]string{"role": "web"}, Status: 1,
			ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2, DelegateMin: 2, DelegateMax: 5, DelegateCur: 5},
		{Name: "b", Status: 4},
	}
	for i, m := range members {
		golden(fmt.Sprintf("conflict-%d", i), "conflict", m, encodeMsg(6, m))
	}

	// ---- decoding Go's own output with random map order, and odd inputs ----
	k := func(s string) string { return fmt.Sprintf("%02x", 0xa0+len(s)) + hex.EncodeToString([]byte(s)) }
	decode := func(name, kind string, in []byte, out interface{}) {
		derr := codec.NewDecoder(bytes.NewReader(in[1:]), &codec.MsgpackHandle{}).Decode(out)
		w.line("decode %s %s", name, kind)
		w.line("hex %s", hex.EncodeToString(in))
		if derr != nil {
			w.line("err %s", strings.ReplaceAll(derr.Error(), "\n", " "))
		} else {
			w.line("canon %s", canon(reflect.ValueOf(out)))
		}
		w.line("end")
	}
	big := messagePushPull{LTime: 1000, StatusLTimes: map[string]LamportTime{}, LeftMembers: []string{"n-3", "n-7"},
		EventLTime: 5, Events: make([]*userEvents, 512), QueryLTime: 9}
	for i := 0; i < 40; i++ {
		big.StatusLTimes[fmt.Sprintf("n-%d", i)] = LamportTime(i * i)
	}
	big.Events[3] = &userEvents{LTime: 3, Events: []userEvent{{Name: "x", Payload: bs(40)}}}
	decode("pushpull-40-random-order", "msg", encodeMsg(2, &big), &messagePushPull{})
	bigTags := map[string]string{}
	for i := 0; i < 20; i++ {
		bigTags[fmt.Sprintf("t%d", i)] = str(i)
	}
	decode("tags-20-random-order", "tags", append([]byte{0xff}, mpEncode(bigTags)...), &map[string]string{})
	odd := []struct{ name, kind, hexs string; out interface{} }{
		{"leave-key-order", "msg", "00" + "83" + k("Prune") + "c3" + k("Node") + "a162" + k("LTime") + "05", &messageLeave{}},
		{"leave-array-form", "msg", "00" + "93" + "05" + "a162" + "c3", &messageLeave{}},
		{"leave-nil", "msg", "00c0", &messageLeave{}},
		{"leave-unknown-key", "msg", "00" + "82" + k("Zzz") + "93010203" + k("LTime") + "07", &messageLeave{}},
		{"leave-ltime-signed", "msg", "00" + "81" + k("LTime") + "d3000000000000ffff", &messageLeave{}},
		{"leave-ltime-negative", "msg", "00" + "81" + k("LTime") + "ff", &messageLeave{}},
		{"leave-node-bin", "msg", "00" + "81" + k("Node") + "c40161", &messageLeave{}},
		{"join-ltime-float", "msg", "01" + "81" + k("LTime") + "cb3ff0000000000000", &messageJoin{}},
		{"event-payload-bin", "msg", "03" + "82" + k("Name") + "a161" + k("Payload") + "c403010203", &messageUserEvent{}},
		{"query-timeout-uint64", "msg", "04" + "81" + k("Timeout") + "cf00000000000003e8", &messageQuery{}},
		{"query-relay-wide", "msg", "04" + "81" + k("RelayFactor") + "cd0100", &messageQuery{}},
		{"query-filters-nil-elem", "msg", "04" + "81" + k("Filters") + "92c0a10100", &messageQuery{}},
		{"query-filters-not-array", "msg", "04" + "81" + k("Filters") + "a3616263", &messageQuery{}},
		{"response-id-wide", "msg", "05" + "81" + k("ID") + "cf0000000100000000", &messageQueryResponse{}},
		{"pushpull-status-nil-value", "msg", "02" + "81" + k("StatusLTimes") + "82a161c0a16205", &messagePushPull{}},
		{"pushpull-left-nil", "msg", "02" + "81" + k("LeftMembers") + "c0", &messagePushPull{}},
		{"pushpull-events-array-form", "msg", "02" + "81" + k("Events") + "93c0" + "920791" + "92a1789100" + "c0", &messagePushPull{}},
		{"pushpull-status-not-map", "msg", "02" + "81" + k("StatusLTimes") + "9101", &messagePushPull{}},
		{"pushpull-dup-key", "msg", "02" + "81" + k("StatusLTimes") + "82a16101a16102", &messagePushPull{}},
	}
	for _, o := range odd {
		in, err := hex.DecodeString(o.hexs)
		if err != nil {
			panic(o.name)
		}
		decode(o.name, o.kind, in, o.out)
	}
}

// keysSortedUTF8 is keysSorted for keys that may be longer than a fixstr header allows or non-ASCII.
func keysSortedUTF8(b []byte, want []string) bool {
	last := -1
	for _, k := range want {
		var needle []byte
		if len(k) < 32 {
			needle = append([]byte{byte(0xa0 + len(k))}, k...)
		} else {
			needle = append([]byte{0xda, 0, byte(len(k))}, k...)
		}
		idx := bytes.Index(b[last+1:], needle)
		if idx < 0 {
			return false
		}
		last = last + 1 + idx
	}
	return true
}
