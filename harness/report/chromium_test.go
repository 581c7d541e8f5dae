package report

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// chromiumPath finds a headless-capable Chromium: $CHROMIUM, /usr/bin/chromium, or chromium / chromium-browser on
// the PATH.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, n := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// runChromium runs headless Chromium with an isolated profile and no network chatter, plus extra flags, on url.
func runChromium(ctx context.Context, t *testing.T, bin string, extra []string, url string) ([]byte, error) {
	t.Helper()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
		"--user-data-dir=" + t.TempDir(),
	}
	args = append(args, extra...)
	args = append(args, url)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	if err != nil {
		t.Logf("chromium %v: %v\nstderr: %s", extra, err, tail(stderr.String(), 2000))
	}
	return stdout.Bytes(), err
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// TestHTMLRendersInChromium renders report.html in headless Chromium: a screenshot that is neither blank nor a
// single colour and contains the matrix colours, and a DOM dump that holds the matrix table. Set
// REPORT_SCREENSHOT_DIR to keep the screenshot.
func TestHTMLRendersInChromium(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		t.Skip("chromium not installed: apt-get install chromium")
	}
	if testing.Short() {
		t.Skip("headless Chromium is slow; skipped with -short")
	}
	dir, res := writeFixture(t)
	page := filepath.Join(dir, HTMLFile)
	url := "file://" + page
	shot := filepath.Join(t.TempDir(), "report.png")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var wg sync.WaitGroup
	var dom []byte
	var shotErr, domErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, shotErr = runChromium(ctx, t, bin, []string{"--screenshot=" + shot, "--window-size=1280,2000"}, url)
	}()
	go func() {
		defer wg.Done()
		dom, domErr = runChromium(ctx, t, bin, []string{"--dump-dom", "--window-size=1280,2000"}, url)
	}()
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("chromium did not finish within 30s")
	}

	// The screenshot.
	if shotErr != nil {
		t.Fatalf("screenshot: %v", shotErr)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot written: %v", err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if keep := os.Getenv("REPORT_SCREENSHOT_DIR"); keep != "" {
		b, _ := os.ReadFile(shot)
		_ = os.MkdirAll(keep, 0o755)
		_ = os.WriteFile(filepath.Join(keep, "report.png"), b, 0o644)
		p, _ := os.ReadFile(page)
		_ = os.WriteFile(filepath.Join(keep, "report.html"), p, 0o644)
	}
	bounds := img.Bounds()
	if bounds.Dx() != 1280 || bounds.Dy() != 2000 {
		t.Errorf("screenshot is %dx%d, want 1280x2000", bounds.Dx(), bounds.Dy())
	}
	colours, samples := map[color.RGBA]int{}, 0
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 2 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}]++
			samples++
		}
	}
	if len(colours) < 10 {
		t.Errorf("screenshot has only %d colours: blank or not rendered", len(colours))
	}
	// The matrix cells are painted in the outcome colours (exact CSS values, no antialiasing inside a cell).
	for name, c := range map[string]color.RGBA{
		"passed (green)":    {0x2e, 0x7d, 0x32, 255},
		"failed (red)":      {0xd3, 0x2f, 0x2f, 255},
		"errored (purple)":  {0x6a, 0x1b, 0x9a, 255},
		"blocked (orange)":  {0xe6, 0x51, 0x00, 255},
		"skipped (grey)":    {0x8d, 0x8d, 0x8d, 255},
		"disabled (l.grey)": {0xe3, 0xe3, 0xe3, 255},
	} {
		if colours[c] < 50 {
			t.Errorf("the screenshot shows almost no %s: %d sampled pixels", name, colours[c])
		}
	}
	if white := colours[color.RGBA{255, 255, 255, 255}]; white == 0 || white > samples*98/100 {
		t.Errorf("the page is blank or has no white background: %d of %d sampled pixels white", white, samples)
	}
	if !hasInkInTopLeft(img) {
		t.Error("no text rendered at the top of the page")
	}

	// The rendered DOM.
	if domErr != nil {
		t.Fatalf("dump-dom: %v", domErr)
	}
	d := string(dom)
	if !strings.Contains(d, `<table class="matrix" id="matrix">`) {
		t.Fatalf("the matrix table is not in the rendered DOM:\n%s", tail(d, 2000))
	}
	matrix := d[strings.Index(d, `id="matrix"`):]
	matrix = matrix[:strings.Index(matrix, "</table>")]
	if rows := strings.Count(matrix, "<tr>"); rows != len(res.Matrix.Rows)+1 {
		t.Errorf("the rendered matrix has %d rows, want %d", rows, len(res.Matrix.Rows)+1)
	}
	if cells := len(regexp.MustCompile(`<td class="o-`).FindAllString(matrix, -1)); cells != len(res.Matrix.Rows)*len(res.Matrix.Columns) {
		t.Errorf("the rendered matrix has %d cells, want %d", cells, len(res.Matrix.Rows)*len(res.Matrix.Columns))
	}
	if n := strings.Count(d, `<details class="exchange">`); n != 4 {
		t.Errorf("%d exchange details in the DOM, want 4", n)
	}
	if strings.Contains(d, "<script>alert(1)</script>") {
		t.Error("a response body became markup")
	}
}

// hasInkInTopLeft reports whether the top-left area (where the title is) has dark pixels.
func hasInkInTopLeft(img image.Image) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Min.Y+80 && y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Min.X+600 && x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r>>8 < 80 && g>>8 < 80 && bb>>8 < 80 {
				return true
			}
		}
	}
	return false
}
