// Command vectors writes the Go-generated test vectors of Grapevine's wire codec.
//
// It uses only the Go standard library (compress/lzw, hash/crc32) and go-msgpack 0.5.5, the
// msgpack library memberlist 0.2.2 is built with. The structs below are declared exactly like
// memberlist 0.2.2's (net.go): same field names, types, order and tags.
//
// Run (Debian: apt-get install golang-go golang-github-hashicorp-go-msgpack-dev):
//
//	cd membership/src/test/go/vectors
//	GOPATH=/usr/share/gocode GO111MODULE=off go run . ../../resources/wire-vectors
//
// The Java build never runs this; the outputs are committed.
package main

import (
	"bytes"
	"compress/lzw"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/hashicorp/go-msgpack/codec"
)

// ---- memberlist 0.2.2 structs (net.go) ---------------------------------------------------------

type ping struct {
	SeqNo      uint32
	Node       string
	SourceAddr []byte `codec:",omitempty"`
	SourcePort uint16 `codec:",omitempty"`
	SourceNode string `codec:",omitempty"`
}

type indirectPingReq struct {
	SeqNo      uint32
	Target     []byte
	Port       uint16
	Node       string
	Nack       bool
	SourceAddr []byte `codec:",omitempty"`
	SourcePort uint16 `codec:",omitempty"`
	SourceNode string `codec:",omitempty"`
}

type ackResp struct {
	SeqNo   uint32
	Payload []byte
}

type nackResp struct {
	SeqNo uint32
}

type errResp struct {
	Error string
}

type suspect struct {
	Incarnation uint32
	Node        string
	From        string
}

type alive struct {
	Incarnation uint32
	Node        string
	Addr        []byte
	Port        uint16
	Meta        []byte
	Vsn         []uint8
}

type dead struct {
	Incarnation uint32
	Node        string
	From        string
}

type pushPullHeader struct {
	Nodes        int
	UserStateLen int
	Join         bool
}

type userMsgHeader struct {
	UserMsgLen int
}

type NodeStateType int

type pushNodeState struct {
	Name        string
	Addr        []byte
	Port        uint16
	Meta        []byte
	Incarnation uint32
	State       NodeStateType
	Vsn         []uint8
}

type compressionType uint8

type compress struct {
	Algo compressionType
	Buf  []byte
}

const (
	pingMsg         = 0
	indirectPingMsg = 1
	ackRespMsg      = 2
	suspectMsg      = 3
	aliveMsg        = 4
	deadMsg         = 5
	pushPullMsg     = 6
	userMsg         = 8
	compressMsg     = 9
	nackRespMsg     = 11
	errMsg          = 13
)

// ---- helpers -----------------------------------------------------------------------------------

func mpEncode(v interface{}) []byte {
	var b bytes.Buffer
	if err := codec.NewEncoder(&b, &codec.MsgpackHandle{}).Encode(v); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// memberlist's encode(msgType, in)
func encodeMsg(t byte, v interface{}) []byte {
	return append([]byte{t}, mpEncode(v)...)
}

// memberlist's compressPayload
func compressPayload(inp []byte) []byte {
	var buf bytes.Buffer
	w := lzw.NewWriter(&buf, lzw.LSB, 8)
	if _, err := w.Write(inp); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return encodeMsg(compressMsg, &compress{Algo: 0, Buf: buf.Bytes()})
}

func lzwCompress(inp []byte) []byte {
	var buf bytes.Buffer
	w := lzw.NewWriter(&buf, lzw.LSB, 8)
	w.Write(inp)
	w.Close()
	return buf.Bytes()
}

func lzwDecompress(in []byte, max int) ([]byte, error) {
	r := lzw.NewReader(bytes.NewReader(in), lzw.LSB, 8)
	defer r.Close()
	var b bytes.Buffer
	_, err := io.Copy(&b, io.LimitReader(r, int64(max)+1))
	return b.Bytes(), err
}

// splitmix64, mirrored by the Java tests (VectorInputs.java).
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

var words = []string{"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "memberlist",
	"serf", "gossip", "alive", "suspect", "dead", "node", "ping", "ack", "nack", "push", "pull",
	"incarnation", "7946", "127.0.0.1", "{\"role\":\"web\"}", "\n"}

// input builds the named deterministic input; the same spec is parsed by the Java tests.
func input(spec string) []byte {
	var kind string
	var seed, n uint64
	if _, err := fmt.Sscanf(strings.ReplaceAll(spec, ":", " "), "%s %d %d", &kind, &seed, &n); err != nil {
		panic(spec + ": " + err.Error())
	}
	r := &rng{s: seed}
	out := make([]byte, 0, n+64)
	switch kind {
	case "fill":
		for uint64(len(out)) < n {
			out = append(out, byte(seed))
		}
	case "ramp":
		for i := uint64(0); i < n; i++ {
			out = append(out, byte(i+seed))
		}
	case "random":
		for uint64(len(out)) < n {
			v := r.next()
			for i := 0; i < 8; i++ {
				out = append(out, byte(v>>(8*i)))
			}
		}
	case "text":
		for uint64(len(out)) < n {
			out = append(out, words[r.next()%uint64(len(words))]...)
			out = append(out, ' ')
		}
	case "runs":
		alphabet := []byte{'a', 'b', 0, 0xff}
		for uint64(len(out)) < n {
			b := alphabet[r.next()%4]
			k := 1 + r.next()%300
			for j := uint64(0); j < k; j++ {
				out = append(out, b)
			}
		}
	default:
		panic("unknown input kind " + kind)
	}
	return out[:n]
}

// codes splits an LSB LZW stream into codes, tracking the width as Go's reader does.
func codes(stream []byte) (cs []int, widths []int) {
	bits, nBits, width := uint32(0), uint(0), uint(9)
	hi, overflow := 257, 512
	last := -1
	p := 0
	for {
		for nBits < width {
			if p == len(stream) {
				return
			}
			bits |= uint32(stream[p]) << nBits
			p++
			nBits += 8
		}
		c := int(bits & (1<<width - 1))
		bits >>= width
		nBits -= width
		cs = append(cs, c)
		widths = append(widths, int(width))
		switch {
		case c == 256:
			width, hi, overflow, last = 9, 257, 512, -1
			continue
		case c == 257:
			return
		}
		last = c
		_ = last
		hi++
		if hi >= overflow {
			if width == 12 {
				hi--
			} else {
				width++
				overflow <<= 1
			}
		}
	}
}

// pack writes codes LSB-first with the given widths (used to build a stream without the leading CLEAR).
func pack(cs []int, widths []int) []byte {
	var out []byte
	bits, nBits := uint32(0), uint(0)
	for i, c := range cs {
		bits |= uint32(c) << nBits
		nBits += uint(widths[i])
		for nBits >= 8 {
			out = append(out, byte(bits))
			bits >>= 8
			nBits -= 8
		}
	}
	if nBits > 0 {
		out = append(out, byte(bits))
	}
	return out
}

// ---- golden msgpack ----------------------------------------------------------------------------

type writer struct {
	f *os.File
}

func (w *writer) line(format string, args ...interface{}) {
	fmt.Fprintf(w.f, format+"\n", args...)
}

// value prints one Go field value in the typed text form the Java test parses.
func value(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprintf("u:%d", v.Uint())
	case reflect.Int, reflect.Int64:
		return fmt.Sprintf("i:%d", v.Int())
	case reflect.Bool:
		return fmt.Sprintf("z:%t", v.Bool())
	case reflect.String:
		if len(v.String()) > 512 && v.String() == str(len(v.String())) {
			return fmt.Sprintf("S:%d", len(v.String()))
		}
		return "s:" + hex.EncodeToString([]byte(v.String()))
	case reflect.Slice:
		if v.IsNil() {
			return "b:nil"
		}
		return bytesValue(v.Bytes())
	}
	panic("kind " + v.Kind().String())
}

// bytesValue prints a byte slice; long ones made by bs(n) as B:<n>.
func bytesValue(b []byte) string {
	if len(b) > 512 && bytes.Equal(b, bs(len(b))) {
		return fmt.Sprintf("B:%d", len(b))
	}
	return "b:" + hex.EncodeToString(b)
}

// encoded prints an encoded message; long ones by length and SHA-256.
func encoded(w *writer, msg []byte) {
	if len(msg) > 4096 {
		sum := sha256.Sum256(msg)
		w.line("sha %d %s", len(msg), hex.EncodeToString(sum[:]))
		return
	}
	w.line("hex %s", hex.EncodeToString(msg))
}

func fields(w *writer, s interface{}) {
	v := reflect.ValueOf(s).Elem()
	for i := 0; i < v.NumField(); i++ {
		w.line("field %s %s", v.Type().Field(i).Name, value(v.Field(i)))
	}
}

func golden(w *writer, name, kind string, msg []byte, structs ...interface{}) {
	w.line("case %s %s", name, kind)
	for _, s := range structs {
		fields(w, s)
	}
	encoded(w, msg)
	w.line("end")
}

func str(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteByte(byte('a' + i%26))
	}
	return b.String()
}

func bs(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

var (
	ipv4   = []byte{127, 0, 0, 1}
	ipv6   = []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	mapped = []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 7}
	vsn    = []byte{1, 5, 2, 2, 5, 5}
)

var u32s = []uint32{0, 1, 127, 128, 255, 256, 65535, 65536, 1<<31 - 1, 1 << 31, 1<<32 - 1}
var u16s = []uint16{0, 1, 127, 128, 255, 256, 7946, 65535}
var strs = []string{"", "a", str(31), str(32), str(255), str(256), str(65535), str(65536), "ñødé-☃-😀"}
var byteSlices = [][]byte{nil, {}, ipv4, ipv6, mapped, bs(31), bs(32), bs(255), bs(256), bs(65535), bs(65536)}

func writeGolden(dir string) {
	f, err := os.Create(filepath.Join(dir, "msgpack-golden.txt"))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	w := &writer{f}
	w.line("# Generated by membership/src/test/go/vectors (go-msgpack 0.5.5). Do not edit.")
	w.line("# case <name> <kind> / field <GoName> <u:|i:|z:|s:hex|b:hex|b:nil> / node / hex <encoded> / end")

	// ping
	for i, x := range u32s {
		p := ping{SeqNo: x, Node: "b", SourceAddr: ipv4, SourcePort: 7946, SourceNode: "a"}
		golden(w, fmt.Sprintf("ping-seq-%d", i), "ping", encodeMsg(pingMsg, &p), &p)
	}
	for i, x := range u16s {
		p := ping{SeqNo: 9, Node: "b", SourceAddr: ipv6, SourcePort: x, SourceNode: "a"}
		golden(w, fmt.Sprintf("ping-port-%d", i), "ping", encodeMsg(pingMsg, &p), &p)
	}
	for i, s := range strs {
		p := ping{SeqNo: 3, Node: s, SourceNode: s}
		golden(w, fmt.Sprintf("ping-str-%d", i), "ping", encodeMsg(pingMsg, &p), &p)
	}
	for i, b := range byteSlices {
		p := ping{SeqNo: 4, Node: "n", SourceAddr: b}
		golden(w, fmt.Sprintf("ping-addr-%d", i), "ping", encodeMsg(pingMsg, &p), &p)
	}
	{
		p := ping{SeqNo: 1, Node: "b", SourceAddr: ipv4, SourcePort: 7946, SourceNode: "a"}
		golden(w, "ping-capture-12", "ping", encodeMsg(pingMsg, &p), &p)
		p = ping{}
		golden(w, "ping-zero", "ping", encodeMsg(pingMsg, &p), &p)
	}
	// indirect ping
	for i, x := range u32s {
		p := indirectPingReq{SeqNo: x, Target: ipv4, Port: 7947, Node: "c", Nack: i%2 == 0,
			SourceAddr: ipv4, SourcePort: 7946, SourceNode: "a"}
		golden(w, fmt.Sprintf("indirect-seq-%d", i), "indirectPing", encodeMsg(indirectPingMsg, &p), &p)
	}
	for i, x := range u16s {
		p := indirectPingReq{SeqNo: 5, Target: ipv6, Port: x, Node: "c", SourcePort: x}
		golden(w, fmt.Sprintf("indirect-port-%d", i), "indirectPing", encodeMsg(indirectPingMsg, &p), &p)
	}
	for i, b := range byteSlices {
		p := indirectPingReq{SeqNo: 6, Target: b, Port: 1, Node: "c", Nack: true, SourceAddr: b, SourceNode: "x"}
		golden(w, fmt.Sprintf("indirect-bytes-%d", i), "indirectPing", encodeMsg(indirectPingMsg, &p), &p)
	}
	for i, s := range strs {
		p := indirectPingReq{SeqNo: 6, Target: ipv4, Node: s, SourceNode: s}
		golden(w, fmt.Sprintf("indirect-str-%d", i), "indirectPing", encodeMsg(indirectPingMsg, &p), &p)
	}
	// ack / nack / err
	for i, x := range u32s {
		a := ackResp{SeqNo: x}
		golden(w, fmt.Sprintf("ack-seq-%d", i), "ack", encodeMsg(ackRespMsg, &a), &a)
		n := nackResp{SeqNo: x}
		golden(w, fmt.Sprintf("nack-seq-%d", i), "nack", encodeMsg(nackRespMsg, &n), &n)
	}
	for i, b := range byteSlices {
		a := ackResp{SeqNo: 77, Payload: b}
		golden(w, fmt.Sprintf("ack-payload-%d", i), "ack", encodeMsg(ackRespMsg, &a), &a)
	}
	for i, s := range strs {
		e := errResp{Error: s}
		golden(w, fmt.Sprintf("err-%d", i), "err", encodeMsg(errMsg, &e), &e)
	}
	// suspect / dead
	for i, x := range u32s {
		s := suspect{Incarnation: x, Node: "b", From: "a"}
		golden(w, fmt.Sprintf("suspect-inc-%d", i), "suspect", encodeMsg(suspectMsg, &s), &s)
		d := dead{Incarnation: x, Node: "b", From: "b"}
		golden(w, fmt.Sprintf("dead-inc-%d", i), "dead", encodeMsg(deadMsg, &d), &d)
	}
	for i, st := range strs {
		s := suspect{Incarnation: 2, Node: st, From: st}
		golden(w, fmt.Sprintf("suspect-str-%d", i), "suspect", encodeMsg(suspectMsg, &s), &s)
		d := dead{Incarnation: 2, Node: st, From: "z"}
		golden(w, fmt.Sprintf("dead-str-%d", i), "dead", encodeMsg(deadMsg, &d), &d)
	}
	// alive
	for i, x := range u32s {
		a := alive{Incarnation: x, Node: "b", Addr: ipv4, Port: 7947, Meta: []byte{0xff, 0x80}, Vsn: vsn}
		golden(w, fmt.Sprintf("alive-inc-%d", i), "alive", encodeMsg(aliveMsg, &a), &a)
	}
	for i, x := range u16s {
		a := alive{Incarnation: 1, Node: "b", Addr: mapped, Port: x, Vsn: vsn}
		golden(w, fmt.Sprintf("alive-port-%d", i), "alive", encodeMsg(aliveMsg, &a), &a)
	}
	for i, b := range byteSlices {
		a := alive{Incarnation: 1, Node: "b", Addr: b, Port: 1, Meta: b, Vsn: b}
		golden(w, fmt.Sprintf("alive-bytes-%d", i), "alive", encodeMsg(aliveMsg, &a), &a)
	}
	for i, s := range strs {
		a := alive{Incarnation: 1, Node: s, Addr: ipv4, Port: 1, Vsn: vsn}
		golden(w, fmt.Sprintf("alive-str-%d", i), "alive", encodeMsg(aliveMsg, &a), &a)
	}
	// push/pull: memberlist's sendLocalState
	states := []NodeStateType{0, 1, 2, 3, 127, 128, 65536, -1, -33, -200}
	mkNode := func(i int) pushNodeState {
		return pushNodeState{Name: fmt.Sprintf("node-%d", i), Addr: ipv4, Port: uint16(7946 + i),
			Meta:        []byte{0xff, 0x81, 0xa4, 'r', 'o', 'l', 'e', 0xa3, 'w', 'e', 'b'},
			Incarnation: u32s[i%len(u32s)], State: states[i%len(states)], Vsn: vsn}
	}
	pushPull := func(name string, join bool, nodes []pushNodeState, user []byte) {
		h := pushPullHeader{Nodes: len(nodes), UserStateLen: len(user), Join: join}
		msg := append([]byte{pushPullMsg}, mpEncode(&h)...)
		for i := range nodes {
			msg = append(msg, mpEncode(&nodes[i])...)
		}
		msg = append(msg, user...)
		args := []interface{}{}
		for i := range nodes {
			args = append(args, &nodes[i])
		}
		w.line("case %s pushPull", name)
		w.line("field Join z:%t", join)
		if user == nil {
			w.line("field UserState b:nil")
		} else {
			w.line("field UserState %s", bytesValue(user))
		}
		for _, a := range args {
			w.line("node")
			fields(w, a)
		}
		encoded(w, msg)
		w.line("end")
	}
	pushPull("pushpull-empty", false, nil, nil)
	pushPull("pushpull-one-join", true, []pushNodeState{mkNode(0)}, bs(585))
	var many []pushNodeState
	for i := 0; i < 40; i++ {
		many = append(many, mkNode(i))
	}
	pushPull("pushpull-40", false, many, []byte{2, 0x80})
	for i, s := range states {
		n := mkNode(i)
		n.State = s
		pushPull(fmt.Sprintf("pushpull-state-%d", i), false, []pushNodeState{n}, nil)
	}
	for i, b := range byteSlices {
		n := pushNodeState{Name: strs[i%len(strs)], Addr: b, Meta: b, Vsn: b, Port: u16s[i%len(u16s)]}
		pushPull(fmt.Sprintf("pushpull-bytes-%d", i), i%2 == 0, []pushNodeState{n}, nil)
	}
	// stream user message: memberlist's sendUserMsg
	for i, n := range []int{0, 1, 127, 128, 255, 256, 65535, 65536} {
		payload := bs(n)
		h := userMsgHeader{UserMsgLen: n}
		msg := append([]byte{userMsg}, mpEncode(&h)...)
		msg = append(msg, payload...)
		w.line("case stream-user-%d streamUser", i)
		w.line("field Payload %s", bytesValue(payload))
		encoded(w, msg)
		w.line("end")
	}
	// compressMsg: memberlist's compressPayload over an encoded message
	for i, inner := range [][]byte{
		encodeMsg(pingMsg, &ping{SeqNo: 1, Node: "b", SourceAddr: ipv4, SourcePort: 7946, SourceNode: "a"}),
		encodeMsg(ackRespMsg, &ackResp{SeqNo: 1, Payload: bs(130)}),
		{userMsg},
		append([]byte{userMsg}, bs(70000)...),
	} {
		w.line("case compress-%d compress", i)
		w.line("field Inner %s", bytesValue(inner))
		encoded(w, compressPayload(inner))
		w.line("end")
	}
}

// ---- how go-msgpack 0.5.5 decodes odd input -----------------------------------------------------

func writeDecodeCases(dir string) {
	f, err := os.Create(filepath.Join(dir, "msgpack-decode.txt"))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	w := &writer{f}
	w.line("# Generated by membership/src/test/go/vectors: how go-msgpack 0.5.5 decodes each input into")
	w.line("# the memberlist struct. decode <struct> <hex> then either ok + field lines, or err <go error>; end")
	kinds := map[string]func() interface{}{
		"ping":           func() interface{} { return &ping{} },
		"indirectPing":   func() interface{} { return &indirectPingReq{} },
		"ack":            func() interface{} { return &ackResp{} },
		"nack":           func() interface{} { return &nackResp{} },
		"err":            func() interface{} { return &errResp{} },
		"suspect":        func() interface{} { return &suspect{} },
		"alive":          func() interface{} { return &alive{} },
		"dead":           func() interface{} { return &dead{} },
		"pushPullHeader": func() interface{} { return &pushPullHeader{} },
		"userMsgHeader":  func() interface{} { return &userMsgHeader{} },
		"pushNodeState":  func() interface{} { return &pushNodeState{} },
		"compress":       func() interface{} { return &compress{} },
	}
	k := func(s string) string { // fixstr key
		return fmt.Sprintf("%02x", 0xa0+len(s)) + hex.EncodeToString([]byte(s))
	}
	cases := [][2]string{}
	add := func(kind, hexs string) { cases = append(cases, [2]string{kind, hexs}) }

	// key order, unknown keys, nil
	add("ping", "85"+k("SourcePort")+"cd1f0a"+k("SourceNode")+"a161"+k("SourceAddr")+"a47f000001"+k("SeqNo")+"01"+k("Node")+"a162")
	add("ping", "83"+k("Node")+"c0"+k("SeqNo")+"c0"+k("SourceAddr")+"c0")
	add("ping", "c0")
	add("ping", "80")
	unknown := []string{"c0", "c2", "c3", "00", "7f", "e0", "ff", "cc80", "cd0100", "ce00010000", "cf0000000100000000",
		"d080", "d18000", "d280000000", "d38000000000000000", "ca3f800000", "cb3ff0000000000000",
		"a0", "a3616263", "d903616263", "da0003616263", "db00000003616263", "c403010203", "c5000101", "c60000000101",
		"90", "93010203", "dc0002c0c0", "dd00000001c0", "80", "81a161a162", "de0001a16193c081a16281a163c0",
		"df00000001a16180", "d401ff", "d5010102", "d60101020304", "d7010102030405060708", "d801" + strings.Repeat("00", 16),
		"c70301010203", "c8000201ffff", "c900000001ff00",
		"9291929192c0", "81a178" + "81a179" + "81a17a" + "93c0c0c0",
		"8190c0", "8180c0", "81c0c0", "810102", "81cb3ff0000000000000c0"}
	for _, u := range unknown {
		add("nack", "82"+k("Zzz")+u+k("SeqNo")+"05")
		add("nack", "82"+k("SeqNo")+"06"+k("seqno")+u)
	}
	// integer families into uint32 / uint16 / uint8 / int / bool
	ints := []string{"00", "7f", "cc00", "ccff", "cd0000", "cdffff", "ce00000000", "ceffffffff", "cf0000000000000000",
		"cf00000000ffffffff", "cf0000000100000000", "cfffffffffffffffff", "d000", "d07f", "d0ff", "d100ff", "d1ffff",
		"d200010000", "d2ffffffff", "d27fffffff", "d300000000ffffffff", "d30000000100000000", "d3ffffffffffffffff",
		"e0", "ff", "c0", "ca3f800000", "cb4000000000000000", "c2", "c3", "a0", "a131", "c40101", "90", "80", "c1"}
	for _, i := range ints {
		add("nack", "81"+k("SeqNo")+i)
		add("alive", "81"+k("Port")+i)
		add("compress", "81"+k("Algo")+i)
		add("pushPullHeader", "81"+k("Nodes")+i)
		add("pushNodeState", "81"+k("State")+i)
		add("pushPullHeader", "81"+k("Join")+i)
	}
	// strings and bytes
	strForms := []string{"a3616263", "d903616263", "da0003616263", "db00000003616263", "a0", "d900", "c0",
		"c403616263", "c50003616263", "c600000003616263", "93616263", "9300ff7f", "dc0003616263", "dd00000003616263",
		"91cc80", "91cd0100", "91d0ff", "91c0", "91a0", "90", "01", "80", "c3", "ca3f800000", "a2c3a9", "a3ffc328",
		"810102", "8201020304", "81a16101", "de00010102", "df0000000101c0", "8101"}
	for _, s := range strForms {
		add("err", "81"+k("Error")+s)
		add("ack", "82"+k("Payload")+s+k("SeqNo")+"01")
		add("alive", "82"+k("Vsn")+s+k("Node")+s)
	}
	// keys that are not plain fixstr
	add("nack", "81d905"+hex.EncodeToString([]byte("SeqNo"))+"01")
	add("nack", "81"+"da0005"+hex.EncodeToString([]byte("SeqNo"))+"02")
	add("nack", "81c40553"+hex.EncodeToString([]byte("eqNo"))+"03")
	add("nack", "810102")
	add("nack", "81c001")
	add("nack", "82"+k("SeqNo")+"01"+k("SeqNo")+"02")
	add("nack", "81"+k("seqNo")+"01")
	// array form
	add("ping", "9501a162a47f000001cd1f0aa161")
	add("ping", "9201a162")
	add("ping", "97"+"01a162c0c0c0c0c0")
	add("alive", "9601a162a47f000001cd1f0ba2ff80a6010502020505")
	add("pushNodeState", "97a162a47f000001cd1f0ba2ff8001"+"02a6010502020505")
	add("pushPullHeader", "930102c3")
	add("compress", "9200a3010203")
	add("nack", "90")
	// non-struct tops and truncations
	for _, t := range []string{"01", "a3616263", "c3", "ca00000000", "", "81", "81a5", "81a553657100", "81a5SeqNo", "82a5SeqNo01", "dc", "de0001"} {
		add("nack", strings.ReplaceAll(t, "SeqNo", hex.EncodeToString([]byte("SeqNo"))))
	}
	add("alive", "86"+k("Addr")+"a47f000001"+k("Incarnation")+"01"+k("Meta")+"a2ff80"+k("Node")+"a162"+k("Port")+"cd1f0b"+k("Vsn")+"a6010502020505")

	for _, c := range cases {
		in, err := hex.DecodeString(c[1])
		if err != nil {
			panic(c[1])
		}
		v := kinds[c[0]]()
		derr := codec.NewDecoder(bytes.NewReader(in), &codec.MsgpackHandle{}).Decode(v)
		w.line("decode %s %s", c[0], c[1])
		if derr != nil {
			w.line("err %s", strings.ReplaceAll(derr.Error(), "\n", " "))
		} else {
			w.line("ok")
			fields(w, v)
		}
		w.line("end")
	}
}

// ---- LZW ---------------------------------------------------------------------------------------

func writeLzw(dir string) {
	sub := filepath.Join(dir, "lzw")
	os.MkdirAll(sub, 0o755)
	idx, err := os.Create(filepath.Join(dir, "lzw-vectors.txt"))
	if err != nil {
		panic(err)
	}
	defer idx.Close()
	w := &writer{idx}
	w.line("# Generated by membership/src/test/go/vectors with Go's compress/lzw (LSB, litWidth 8).")
	w.line("# compress <name> <input spec> <file in lzw/> <compressed length> <sha256 of compressed>")
	w.line("# decode <name> <stream hex> ok <output length> <sha256 of output> | err <go error>")
	specs := map[string]string{
		"empty":        "fill:0:0",
		"one":          "fill:65:1",
		"two":          "fill:65:2",
		"kwkwk":        "fill:97:3",
		"fill-1000":    "fill:0:1000",
		"fill-300000":  "fill:120:300000",
		"ramp-65536":   "ramp:0:65536",
		"random-1000":  "random:1:1000",
		"random-20000": "random:2:20000",
		"random-70000": "random:3:70000",
		"text-1000":    "text:4:1000",
		"text-200000":  "text:5:200000",
		"runs-100000":  "runs:6:100000",
	}
	// Find inputs whose last data code lands exactly on the width growth or the table reset,
	// the two places where writer and reader could disagree by one.
	found := map[string]bool{}
	for n := 1; n < 30000 && len(found) < 6; n++ {
		in := input(fmt.Sprintf("random:9:%d", n))
		cs, ws := codes(lzwCompress(in))
		m := len(cs)
		if m < 3 {
			continue
		}
		last, eofW, prevW := cs[m-2], ws[m-1], ws[m-2]
		key := ""
		switch {
		case last == 256:
			key = "clear-before-eof"
		case eofW != prevW:
			key = fmt.Sprintf("width-%d-at-eof", eofW)
		}
		if key != "" && !found[key] {
			found[key] = true
			specs["boundary-"+key] = fmt.Sprintf("random:9:%d", n)
			if key == "clear-before-eof" {
				// one byte less and more: the reset as the last data code, and inside the data
				specs["boundary-clear-minus-1"] = fmt.Sprintf("random:9:%d", n-1)
				specs["boundary-clear-plus-1"] = fmt.Sprintf("random:9:%d", n+1)
			}
		}
	}
	names := make([]string, 0, len(specs))
	for name := range specs {
		names = append(names, name)
	}
	sort.Strings(names)
	var streams [][]byte
	for _, name := range names {
		in := input(specs[name])
		out := lzwCompress(in)
		back, err := lzwDecompress(out, len(in)+1)
		if err != nil || !bytes.Equal(back, in) {
			panic("round trip " + name)
		}
		file := name + ".lzw"
		if err := os.WriteFile(filepath.Join(sub, file), out, 0o644); err != nil {
			panic(err)
		}
		sum := sha256.Sum256(out)
		w.line("compress %s %s %s %d %s", name, specs[name], file, len(out), hex.EncodeToString(sum[:]))
		if len(out) < 200 {
			streams = append(streams, out)
		}
	}
	// Decoder behaviour on odd streams: no leading CLEAR (Go < 1.17 writers), cut short, flipped bits, garbage.
	decode := func(name string, s []byte) {
		out, err := lzwDecompress(s, 1<<20)
		if err != nil {
			w.line("decode %s %s err %s", name, hex.EncodeToString(s), strings.ReplaceAll(err.Error(), " ", "_"))
			return
		}
		sum := sha256.Sum256(out)
		w.line("decode %s %s ok %d %s", name, hex.EncodeToString(s), len(out), hex.EncodeToString(sum[:]))
	}
	for _, spec := range []string{"text:11:3000", "random:12:5000", "fill:7:2000"} {
		cs, ws := codes(lzwCompress(input(spec)))
		if cs[0] != 256 {
			panic("expected leading CLEAR")
		}
		decode("noclear-"+spec, pack(cs[1:], ws[1:]))
	}
	decode("just-eof", pack([]int{257}, []int{9}))
	decode("clear-clear-eof", pack([]int{256, 256, 257}, []int{9, 9, 9}))
	decode("code-equals-hi-first", pack([]int{258, 257}, []int{9, 9}))
	decode("kwkwk-by-hand", pack([]int{97, 258, 257}, []int{9, 9, 9}))
	decode("invalid-code", pack([]int{97, 300, 257}, []int{9, 9, 9}))
	decode("empty-stream", []byte{})
	r := &rng{s: 42}
	for i, s := range streams {
		for cut := 0; cut < len(s); cut += 1 + len(s)/7 {
			decode(fmt.Sprintf("cut-%d-%d", i, cut), s[:cut])
		}
		for j := 0; j < 6; j++ {
			m := append([]byte(nil), s...)
			bit := r.next() % uint64(8*len(m))
			m[bit/8] ^= 1 << (bit % 8)
			decode(fmt.Sprintf("flip-%d-%d", i, j), m)
		}
	}
	for i := 0; i < 150; i++ {
		n := 1 + int(r.next()%48)
		g := make([]byte, n)
		for j := range g {
			g[j] = byte(r.next())
		}
		if i%3 == 0 {
			g[0], g[1%n] = 0x00, g[1%n]|0x01 // start with CLEAR, so more of them get past the first code
		}
		decode(fmt.Sprintf("garbage-%d", i), g)
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: vectors <output dir>")
		os.Exit(2)
	}
	dir := os.Args[1]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		panic(err)
	}
	writeGolden(dir)
	writeDecodeCases(dir)
	writeLzw(dir)
	writeSerf(dir)
}
