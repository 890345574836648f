// go_echo.go - the reference echo server: Go's netpoller on one P (GOMAXPROCS=1).
//
// Same contract as the Python servers: 127.0.0.1 port 0, port on the first
// stdout line, TCP_NODELAY on accepted conns, echo until EOF, run until killed.
package main

import (
	"fmt"
	"net"
	"os"
	"runtime"
)

func handle(c *net.TCPConn) {
	defer c.Close()
	c.SetNoDelay(true)
	buf := make([]byte, 65536)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func main() {
	// One P: the fair comparison with single-threaded Python servers.
	runtime.GOMAXPROCS(1)
	// net.Listen uses the kernel's somaxconn as the backlog (>= 1000 here).
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	tl := ln.(*net.TCPListener)
	for {
		c, err := tl.AcceptTCP()
		if err != nil {
			continue
		}
		go handle(c)
	}
}
