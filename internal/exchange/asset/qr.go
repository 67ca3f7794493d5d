package asset

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/yeqown/go-qrcode/v2"
)

// QR code images: each module is qrScale pixels square, inside a quiet
// zone of qrQuiet modules (the standard's minimum is 4).
const (
	qrScale = 8
	qrQuiet = 4
)

// QRCode returns text as a QR code (error correction level M), a black
// and white PNG drawn in memory.
func QRCode(text string) ([]byte, error) {
	code, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return nil, fmt.Errorf("asset: QR code: %w", err)
	}
	w := &pngWriter{}
	if err := code.Save(w); err != nil {
		return nil, fmt.Errorf("asset: QR code: %w", err)
	}
	return w.buf.Bytes(), nil
}

// pngWriter draws a QR code's modules as a PNG into memory.
type pngWriter struct{ buf bytes.Buffer }

func (w *pngWriter) Write(mat qrcode.Matrix) error {
	bits := mat.Bitmap()
	side := (len(bits) + 2*qrQuiet) * qrScale
	img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.White, color.Black})
	for y, row := range bits {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := range qrScale {
				off := img.PixOffset((x+qrQuiet)*qrScale, (y+qrQuiet)*qrScale+dy)
				for dx := range qrScale {
					img.Pix[off+dx] = 1
				}
			}
		}
	}
	return png.Encode(&w.buf, img)
}

func (w *pngWriter) Close() error { return nil }
