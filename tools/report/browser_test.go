package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// installScript installs Debian's chromium when no Chromium is on PATH and
// prints "chromium: <path>" last.
const installScript = "../../scripts/install-chromium.sh"

// chromium is the path of a Chromium, installed by installScript when
// missing. The test is skipped only where the script cannot install it,
// and never on CI.
func chromium(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(installScript).CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: %v\n%s", installScript, err, msg)
		}
		t.Skipf("no Chromium, and %s could not install it: %v\n%s", installScript, err, msg)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	path, ok := strings.CutPrefix(lines[len(lines)-1], "chromium: ")
	if !ok {
		t.Fatalf("%s printed no path:\n%s", installScript, out)
	}
	return path
}

// browserPage is what the browser showed of a report.
type browserPage struct {
	Errors  []string     `json:"-"`       // console errors, uncaught exceptions, failed loads
	Charts  []drawnChart `json:"charts"`  // every canvas, in page order
	Verdict string       `json:"verdict"` // text of the verdict box
	Geo     string       `json:"geo"`     // text of the sessions-by-country section
}

// drawnChart is a canvas and what Chart.js drew on it (or, read from the
// page's source, the spec draw.js draws).
type drawnChart struct {
	ID       string   `json:"id"`
	Drawn    bool     `json:"drawn"`   // Chart.js has a chart on the canvas
	Painted  int      `json:"painted"` // non-transparent pixels on the canvas
	Labels   []string `json:"labels"`
	Datasets []struct {
		Label string     `json:"label"`
		Data  []*float64 `json:"data"` // null for no value
	} `json:"datasets"`
}

// total is the sum of the chart's values.
func (c drawnChart) total() float64 {
	var sum float64
	for _, d := range c.Datasets {
		for _, v := range d.Data {
			if v != nil {
				sum += *v
			}
		}
	}
	return sum
}

// byLabel is the first dataset's value of each label.
func (c drawnChart) byLabel() map[string]float64 {
	out := map[string]float64{}
	if len(c.Datasets) == 0 {
		return out
	}
	for i, label := range c.Labels {
		if v := c.Datasets[0].Data[i]; v != nil {
			out[label] = *v
		}
	}
	return out
}

func (p *browserPage) chart(t *testing.T, id string) drawnChart {
	t.Helper()
	for _, c := range p.Charts {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no chart %s", id)
	return drawnChart{}
}

// inspect reads, in the page, every canvas's chart and painted pixels, and
// the text of the verdict and the geo section.
const inspect = `(() => ({
  charts: Array.from(document.querySelectorAll('canvas')).map((canvas) => {
    const chart = Chart.getChart(canvas);
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) {
      if (pixels[i] !== 0) painted++;
    }
    return {
      id: canvas.id.replace(/^chart-/, ''),
      drawn: chart !== undefined,
      painted: painted,
      labels: chart ? chart.data.labels : [],
      datasets: chart ? chart.data.datasets.map((d) => ({label: d.label, data: d.data})) : [],
    };
  }),
  verdict: document.getElementById('verdict').innerText,
  geo: document.getElementById('geo').innerText,
}))()`

// open loads the report at path in headless Chromium (the browser at
// browser), reads what it shows and saves a screenshot of the whole page
// to screenshot.
func open(t *testing.T, browser, path, screenshot string) *browserPage {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox, // root in CI containers
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	defer cancelBrowser()

	var (
		mu   sync.Mutex
		errs []string
	)
	// Listen's func sees each event before the reply to the command that
	// follows it, so every message the page logged while it loaded and drew
	// is in errs once the actions below return.
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
				return
			}
			var args []string
			for _, a := range ev.Args {
				args = append(args, strings.TrimSpace(string(a.Value)+" "+a.Description))
			}
			msg = "console." + string(ev.Type) + ": " + strings.Join(args, " ")
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg = fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber, d.Text)
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level != log.EntryLevelError {
				return
			}
			msg = "log: " + ev.Entry.Text + " " + ev.Entry.URL
		default:
			return
		}
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, msg)
	})
	if err != nil {
		t.Fatalf("start %s: %v", browser, err)
	}

	// The first action starts the browser, so the time limit goes on each
	// action rather than on the browser's context.
	step := func(name string, do func(ctx context.Context) error) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := do(sctx); err != nil {
			t.Fatalf("%s %s in %s: %v", name, path, browser, err)
		}
	}
	step("load", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Navigate("file://"+path), chromedp.WaitReady("body"))
	})
	var page browserPage
	step("inspect", func(ctx context.Context) (err error) {
		page, err = chromedp.Run(ctx, chromedp.Evaluate[browserPage](inspect))
		return err
	})
	var shot []byte
	step("screenshot", func(ctx context.Context) (err error) {
		shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		return err
	})
	checkPNG(t, shot)
	if err := os.WriteFile(screenshot, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the report: %s", screenshot)
	mu.Lock()
	defer mu.Unlock()
	page.Errors = errs
	return &page
}

// checkPNG fails unless b is a PNG image of some size.
func checkPNG(t *testing.T, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if r := img.Bounds(); r.Dx() < 100 || r.Dy() < 100 {
		t.Errorf("screenshot %v, want a page", r)
	}
}
