// main.go - Go's net/http with the routes the gonet fuzz test's server also registers.
//
// The reference for tests/http/test_fuzz.py: the same raw requests go to this server and to
// gonet.http's, and their status codes are compared. It listens on 127.0.0.1:0, prints
// "127.0.0.1:PORT" as its first stdout line, and serves until killed. Routes (mirrored in
// test_fuzz.py's mux, handler for handler):
//
//	GET /{$}            "hello"
//	GET /hello/{name}   "hello, " + name
//	POST /echo          the request body, read whole (400 "bad body" when reading it fails)
//	/any                "any", any method
//	GET /files/         "files " + the path (a subtree pattern)
//
// With -catchall it serves one handler for every method and path instead (the reference for
// test_server_fuzz.py): read the body to the end, answer "ok".
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	catchall := flag.Bool("catchall", false, "one handler for everything: drain the body, write ok")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello")
	})
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello, "+r.PathValue("name"))
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
	})
	mux.HandleFunc("/any", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "any")
	})
	mux.HandleFunc("GET /files/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "files "+r.URL.Path)
	})
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	os.Stdout.Sync()
	var h http.Handler = mux
	if *catchall {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Write([]byte("ok"))
		})
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 10 * time.Second}
	fmt.Fprintln(os.Stderr, srv.Serve(ln))
	os.Exit(1)
}
