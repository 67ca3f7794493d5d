package asset

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestQRCodeIsAValidSymbol checks what can be checked without a decoder
// (none is in the module graph): the PNG decodes, is square, is drawn on
// whole modules with the standard's 4-module quiet zone, has a valid QR
// size (21 + 4k modules) and the three finder patterns in their corners;
// another text gives another symbol.
func TestQRCodeIsAValidSymbol(t *testing.T) {
	url := "https://data.jinghua.gov.cn/exchange/certificates/JH-DR-2026-000123"
	raw, err := QRCode(url)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != b.Dy() || b.Dx()%qrScale != 0 {
		t.Fatalf("image %v is not square on whole modules of %d px", b, qrScale)
	}
	n := b.Dx()/qrScale - 2*qrQuiet
	if n < 21 || (n-21)%4 != 0 || n > 177 {
		t.Fatalf("%d modules a side is no QR version", n)
	}
	t.Logf("%d bytes of PNG, %d×%d px, %d modules (version %d) for %d characters", len(raw), b.Dx(), b.Dy(), n, (n-17)/4, len(url))
	if len(raw) > 8<<10 {
		t.Errorf("the PNG is %d bytes: more than a 1-bit image of this size needs", len(raw))
	}
	dark := func(x, y int) bool { // module x, y of the symbol (the quiet zone is negative)
		r, _, _, _ := img.At((x+qrQuiet)*qrScale+qrScale/2, (y+qrQuiet)*qrScale+qrScale/2).RGBA()
		return r < 0x8000
	}
	for i := -qrQuiet; i < n+qrQuiet; i++ {
		for _, at := range [][2]int{{i, -1}, {i, n}, {-1, i}, {n, i}, {i, -qrQuiet}, {-qrQuiet, i}} {
			if dark(at[0], at[1]) {
				t.Fatalf("module %v of the quiet zone is dark", at)
			}
		}
	}
	for _, corner := range [][2]int{{0, 0}, {n - 7, 0}, {0, n - 7}} {
		if !finder(dark, corner[0], corner[1]) {
			t.Errorf("no finder pattern at module %v", corner)
		}
	}
	if finder(dark, n-7, n-7) {
		t.Error("a finder pattern in the bottom-right corner: the symbol is not oriented")
	}
	other, err := QRCode(url[:len(url)-1] + "4")
	if err != nil || bytes.Equal(other, raw) {
		t.Errorf("another number gives the same image (%v)", err)
	}
	again, _ := QRCode(url)
	if !bytes.Equal(again, raw) {
		t.Error("the same text gives another image")
	}
	decodeWithZbar(t, raw, url)
}

// decodeWithZbar reads the symbol back with zbarimg (Debian's zbar-tools)
// where it is installed: no decoder is in the module graph.
func decodeWithZbar(t *testing.T, raw []byte, want string) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Log("zbarimg is not installed: the symbol is checked by its structure only")
		return
	}
	file := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(zbar, "--raw", "-q", file).Output()
	if got := strings.TrimSpace(string(out)); err != nil || got != want {
		t.Errorf("zbarimg read %q (%v), want %q", got, err, want)
	}
}

// finder reports whether the 7×7 modules from x, y are a finder pattern:
// a dark ring, a light ring, a dark 3×3 centre.
func finder(dark func(x, y int) bool, x0, y0 int) bool {
	for y := range 7 {
		for x := range 7 {
			ring := min(x, y, 6-x, 6-y) // 0 outer, 1 light, 2 and 3 centre
			if dark(x0+x, y0+y) != (ring != 1) {
				return false
			}
		}
	}
	return true
}
