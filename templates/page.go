package templates

import (
	"encoding/base64"
	htmltemplate "html/template"

	"livechat-digest/digest"
)

// standaloneHTML renders the digest HTML for reading outside an email
// (run --dry-run --format html, the web page's preview): the chart is a
// data: URI of its PNG, since there is no attachment for cid:chart.png to
// point at. A replacement template that writes cid:{{.Chart.CID}} itself
// keeps its cid: link; one that writes {{.Chart.Src}} gets the picture.
func (r *Renderer) standaloneHTML(d *digest.Digest) ([]byte, error) {
	v := newDigestView(d)
	if v.Chart != nil {
		png, err := Chart(d)
		if err != nil {
			return nil, err
		}
		if png == nil {
			v.Chart = nil
		} else {
			// html/template lets a data: URI into src only as a URL value;
			// it is built here from our own PNG bytes.
			v.Chart.Src = htmltemplate.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
		}
	}
	return r.execute(digestHTML, v)
}
