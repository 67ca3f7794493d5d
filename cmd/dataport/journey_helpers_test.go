package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// widths are the widths the browser journeys walk at: a desktop's, and a
// phone's 390 px (mobile, touch).
var widths = []struct {
	name     string
	viewport chromedp.Action[chromedp.Void]
}{
	{"desktop", chromedp.EmulateViewport(1366, 900)},
	{"phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch)},
}

// fitsWidth fails t when the page in ctx scrolls sideways
// (document.documentElement.scrollWidth > clientWidth) and, with
// $DATAPORT_SCREENSHOTS set, saves the page there as journey-where.png.
func fitsWidth(t *testing.T, ctx context.Context, journey, where string) {
	t.Helper()
	if wide := run(t, ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`)); wide {
		over := run(t, ctx, chromedp.Evaluate[[]string](tooWideJS))
		t.Errorf("%s scrolls sideways; too wide: %v", where, over)
	}
	if dir := os.Getenv("DATAPORT_SCREENSHOTS"); dir != "" {
		png := run(t, ctx, chromedp.FullScreenshot(90))
		name := journey + "-" + strings.NewReplacer("/", "_", " ", "_").Replace(where) + ".png"
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Error(err)
		}
	}
}

// tooWideJS names up to eight elements that reach past the window's right edge.
const tooWideJS = `[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 8).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : ''))`

// consoleRefusals counts by status the console's reports of responses
// refused with a 4xx (a form refused at its fields is a 422), and fails t
// on any other error or exception the pages wrote.
func consoleRefusals(t *testing.T, console *consoleLog) map[string]int {
	t.Helper()
	refusals := map[string]int{}
	for _, msg := range console.take() {
		if msg.Type != chromedp.ConsoleError && !msg.IsException() {
			continue
		}
		if line := fmt.Sprint(msg); strings.Contains(line, "Failed to load resource: the server responded with a status of 4") {
			refusals[line[strings.Index(line, "status of ")+10:][:3]]++
			continue
		}
		t.Errorf("console %s", msg)
	}
	return refusals
}
