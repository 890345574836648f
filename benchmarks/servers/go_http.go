// go_http.go - the reference HTTP server: Go's net/http on one P (GOMAXPROCS=1).
//
// Same contract as the Python HTTP servers: 127.0.0.1 port 0, port on the first stdout line,
// `GET /` answers "Hello, World!" as text/plain, `POST /post` reads the whole body and answers
// the same. Run until killed; net/http's defaults otherwise (no timeouts, keep-alive on).
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
)

var hello = []byte("Hello, World!")

func helloHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write(hello)
}

func postHandler(w http.ResponseWriter, r *http.Request) {
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Write(hello)
}

func main() {
	// One P: the fair comparison with single-threaded Python servers.
	runtime.GOMAXPROCS(1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", helloHandler)
	mux.HandleFunc("POST /post", postHandler)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	fmt.Fprintln(os.Stderr, (&http.Server{Handler: mux}).Serve(ln))
	os.Exit(1)
}
