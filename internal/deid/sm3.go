package deid

import (
	"encoding/binary"
	"hash"
	"math/bits"
)

// SM3 is the Chinese national hash function (GB/T 32905-2016), 256 bits,
// for keyed pseudonyms with HMAC-SM3 where national algorithms are required.
// It is small enough to carry here rather than take a dependency for it;
// the standard's test vectors are checked in the tests.

// NewSM3 returns a new SM3 hash.
func NewSM3() hash.Hash {
	d := &sm3{}
	d.Reset()
	return d
}

type sm3 struct {
	h   [8]uint32
	buf [64]byte
	nx  int
	len uint64
}

var sm3IV = [8]uint32{0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e}

func (d *sm3) Reset()         { d.h, d.nx, d.len = sm3IV, 0, 0 }
func (d *sm3) Size() int      { return 32 }
func (d *sm3) BlockSize() int { return 64 }

func (d *sm3) Write(p []byte) (int, error) {
	n := len(p)
	d.len += uint64(n)
	if d.nx > 0 {
		c := copy(d.buf[d.nx:], p)
		d.nx += c
		p = p[c:]
		if d.nx == 64 {
			d.block(d.buf[:])
			d.nx = 0
		}
	}
	for len(p) >= 64 {
		d.block(p[:64])
		p = p[64:]
	}
	d.nx += copy(d.buf[:], p)
	return n, nil
}

func (d *sm3) Sum(in []byte) []byte {
	c := *d // Sum does not change the state
	var pad [72]byte
	pad[0] = 0x80
	padLen := 56 - int(c.len%64)
	if padLen <= 0 {
		padLen += 64
	}
	binary.BigEndian.PutUint64(pad[padLen:], c.len*8)
	c.Write(pad[:padLen+8])
	var out [32]byte
	for i, v := range c.h {
		binary.BigEndian.PutUint32(out[4*i:], v)
	}
	return append(in, out[:]...)
}

func p0(x uint32) uint32 { return x ^ bits.RotateLeft32(x, 9) ^ bits.RotateLeft32(x, 17) }
func p1(x uint32) uint32 { return x ^ bits.RotateLeft32(x, 15) ^ bits.RotateLeft32(x, 23) }

func (d *sm3) block(b []byte) {
	var w [68]uint32
	var w1 [64]uint32
	for i := range 16 {
		w[i] = binary.BigEndian.Uint32(b[4*i:])
	}
	for i := 16; i < 68; i++ {
		w[i] = p1(w[i-16]^w[i-9]^bits.RotateLeft32(w[i-3], 15)) ^ bits.RotateLeft32(w[i-13], 7) ^ w[i-6]
	}
	for i := range 64 {
		w1[i] = w[i] ^ w[i+4]
	}
	a, bb, c, dd, e, f, g, h := d.h[0], d.h[1], d.h[2], d.h[3], d.h[4], d.h[5], d.h[6], d.h[7]
	for j := range 64 {
		t := uint32(0x79cc4519)
		if j >= 16 {
			t = 0x7a879d8a
		}
		ss1 := bits.RotateLeft32(bits.RotateLeft32(a, 12)+e+bits.RotateLeft32(t, j%32), 7)
		ss2 := ss1 ^ bits.RotateLeft32(a, 12)
		var ff, gg uint32
		if j < 16 {
			ff, gg = a^bb^c, e^f^g
		} else {
			ff, gg = (a&bb)|(a&c)|(bb&c), (e&f)|(^e&g)
		}
		tt1 := ff + dd + ss2 + w1[j]
		tt2 := gg + h + ss1 + w[j]
		dd, c, bb, a = c, bits.RotateLeft32(bb, 9), a, tt1
		h, g, f, e = g, bits.RotateLeft32(f, 19), e, p0(tt2)
	}
	d.h[0] ^= a
	d.h[1] ^= bb
	d.h[2] ^= c
	d.h[3] ^= dd
	d.h[4] ^= e
	d.h[5] ^= f
	d.h[6] ^= g
	d.h[7] ^= h
}
