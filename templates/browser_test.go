package templates

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/digest"
	"livechat-digest/internal/browser"
)

// longNames is the fixture with the long, unbreakable strings real data
// has: agent e-mail addresses, a long job name, an error with a URL.
func longNames() *digest.Digest {
	d := fixture()
	d.Job = "weekly-support-emea-enterprise-customers-tier-two"
	d.Rankings.Chats = append(d.Rankings.Chats,
		digest.RankEntry{Agent: "maximilian.von.hohenzollern-sigmaringen@support.example-enterprise.com", Good: 1204, Bad: 31, Total: 1235, Score: 0.97490})
	d.Errors = append(d.Errors, digest.ReportError{Report: "chats_response_time",
		Error: "upstream: GET https://api.livechatinc.com/v3.6/reports/chats/response_time?distribution=day&filters.from=2026-11-16T00:00:00-05:00: 503"})
	d.Filters.Agent = "maximilian.von.hohenzollern-sigmaringen@support.example-enterprise.com"
	return d
}

// TestEmailHTMLFitsPhone renders the digest HTML in headless Chromium at a
// phone's 375 px and a desktop's 800 px and checks that nothing scrolls
// sideways (scrollWidth ≤ clientWidth) and that the Change column is in
// view, in the light and the dark scheme.
func TestEmailHTMLFitsPhone(t *testing.T) {
	ctx := browser.New(t, 2*time.Minute)
	r := newRenderer(t)
	pages := map[string][]byte{}
	for name, d := range map[string]*digest.Digest{"weekly": fixture(), "long-names": longNames(), "hostile": hostile(), "insight": insightFixture()} {
		html, err := r.Render(d, FormatHTML)
		require.NoError(t, err)
		pages[name] = html
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(pages[strings.TrimPrefix(req.URL.Path, "/")])
	}))
	t.Cleanup(srv.Close)

	type layout struct {
		ScrollWidth, ClientWidth int
		ChangeRight              float64 // right edge of the rightmost Change cell
		ImgWidth                 float64
		Background               string
	}
	const measure = `(() => {
		const cells = [...document.querySelectorAll('td:not(:has(td))')].filter(td => /\(\+|\(-/.test(td.textContent));
		const img = document.querySelector('img');
		return {
			ScrollWidth: document.documentElement.scrollWidth,
			ClientWidth: document.documentElement.clientWidth,
			ChangeRight: Math.max(0, ...cells.map(td => td.getBoundingClientRect().right)),
			ImgWidth: img ? img.getBoundingClientRect().width : 0,
			Background: getComputedStyle(document.querySelector('.ld-card')).backgroundColor,
		};
	})()`
	for _, scheme := range []string{"light", "dark"} {
		for _, width := range []int64{375, 800} {
			for name := range pages {
				t.Run(fmt.Sprintf("%s/%d/%s", scheme, width, name), func(t *testing.T) {
					err := chromedp.Do(ctx,
						chromedp.EmulateViewport(width, 800),
						browser.ColorScheme(scheme),
						chromedp.Navigate(srv.URL+"/"+name),
					)
					require.NoError(t, err)
					got, err := chromedp.Run(ctx, chromedp.Evaluate[layout](measure))
					require.NoError(t, err)
					t.Logf("%+v", got)
					assert.LessOrEqual(t, got.ScrollWidth, got.ClientWidth, "horizontal scroll: %+v", got)
					assert.Positive(t, got.ChangeRight, "no Change cells found")
					assert.LessOrEqual(t, got.ChangeRight, float64(got.ClientWidth), "Change column clipped: %+v", got)
					assert.Positive(t, got.ImgWidth, "the chart (a data: URI) shows")
					assert.LessOrEqual(t, got.ImgWidth, float64(got.ClientWidth))
					if scheme == "dark" {
						assert.NotEqual(t, "rgb(255, 255, 255)", got.Background, "dark scheme keeps a white card")
					} else {
						assert.Equal(t, "rgb(255, 255, 255)", got.Background)
					}
				})
			}
		}
	}
}
