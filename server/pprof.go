package server

import (
	"net/http"
	"net/http/pprof"
)

// Profiles returns net/http/pprof's routes under /debug/pprof/ on a mux of
// their own. serve mounts them only on server.pprof_addr, a loopback
// listener of their own, never on Handler's public routes: profiles show
// the service's internals and command line. (Importing net/http/pprof also
// registers the routes on http.DefaultServeMux, which nothing serves.)
func Profiles() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}
