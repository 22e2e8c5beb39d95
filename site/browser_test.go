package site

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromium finds Debian's headless-capable Chromium. Without it the test
// skips in one line, unless EVGEN_REQUIRE_SERVICES is set, as in CI,
// where .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err == nil {
		return path
	}
	if os.Getenv("EVGEN_REQUIRE_SERVICES") != "" {
		t.Fatalf("chromium is not installed (EVGEN_REQUIRE_SERVICES is set): apt-get install -y chromium")
	}
	t.Skip("chromium not installed (apt-get install -y chromium); skipping the browser test")
	return ""
}

// browse runs headless Chromium on a page of the site with args, with no
// network and a profile of its own, and returns its standard output.
func browse(t *testing.T, bin, page string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
		"--user-data-dir=" + t.TempDir()}, args...)
	cmd := exec.CommandContext(ctx, bin, append(args, "file://"+page)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", page, err, stderr.String())
	}
	return stdout.Bytes()
}

// TestBrowser opens the examples' catalog from disk in headless Chromium:
// every link of every page names a file there; the pages a reader reaches
// from the index's picture load with their picture; and a screenshot of
// the index shows the picture drawn, saved in the test's artifact
// directory (go test ./site -run Browser -artifacts -outputdir DIR keeps
// it).
func TestBrowser(t *testing.T) {
	bin := chromium(t)
	dir := writeSite(t, generate(t, examples(t)))
	checkLinksOnDisk(t, dir)

	dom := string(browse(t, bin, filepath.Join(dir, indexFile), "--dump-dom"))
	hrefs := nodeHrefs(t, "index", dom)
	if len(hrefs) != 15 {
		t.Errorf("index: the loaded DOM has %d linked nodes in its SVG, want 15 (2 producers, 11 events, 2 consumers)", len(hrefs))
	}
	if n := strings.Count(dom, `<path class="reaction"`); n != 4 {
		t.Errorf("index: the loaded DOM draws %d reactions, want the deletion saga's 4", n)
	}
	for _, href := range []string{hrefs[0], hrefs[len(hrefs)/2], hrefs[len(hrefs)-1]} {
		page := string(browse(t, bin, filepath.Join(dir, href), "--dump-dom"))
		if !strings.Contains(page, "<h1>") || len(nodeHrefs(t, href, page)) < 2 {
			t.Errorf("%s, followed from the index's picture: no heading or no picture once loaded:\n%.500s", href, page)
		}
	}

	shot := filepath.Join(t.ArtifactDir(), "index.png")
	browse(t, bin, filepath.Join(dir, indexFile), "--window-size=1280,900", "--screenshot="+shot)
	t.Log("screenshot of the catalog's index:", shot)
	checkPictureDrawn(t, shot)
}

// nodeHrefs are the links of the nodes of the SVG in a page's DOM.
func nodeHrefs(t *testing.T, name, dom string) []string {
	t.Helper()
	start, end := strings.Index(dom, "<svg "), strings.Index(dom, "</svg>")
	if start < 0 || end < start {
		t.Fatalf("%s: no SVG in the loaded DOM:\n%.500s", name, dom)
	}
	var out []string
	for _, m := range nodePattern.FindAllStringSubmatch(dom[start:end], -1) {
		out = append(out, m[1])
	}
	return out
}

// checkLinksOnDisk follows every href of every written page to a file.
func checkLinksOnDisk(t *testing.T, dir string) {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(dir, "*.html"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("no pages in %s: %v", dir, err)
	}
	for _, page := range pages {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range hrefPattern.FindAllSubmatch(data, -1) {
			target, _, _ := strings.Cut(string(m[1]), "#")
			if _, err := os.Stat(filepath.Join(dir, target)); err != nil {
				t.Errorf("%s: link %q: %v", filepath.Base(page), m[1], err)
			}
		}
	}
}

// checkPictureDrawn looks in the screenshot for the fills of the event
// and service boxes (style.css), which nothing else on the index uses.
func checkPictureDrawn(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	eventFill, serviceFill := color.RGBA{0xfd, 0xf1, 0xdc, 0xff}, color.RGBA{0xe4, 0xec, 0xfb, 0xff}
	events, services := countColor(img, eventFill), countColor(img, serviceFill)
	// 11 event boxes of about 245x24 and 4 service boxes of 80x24.
	if events < 11*200*16 || services < 4*60*16 {
		t.Errorf("screenshot %s: %d pixels of the event fill and %d of the service fill; the picture was not drawn", path, events, services)
	}
}

func countColor(img image.Image, want color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)) == want {
				n++
			}
		}
	}
	return n
}
