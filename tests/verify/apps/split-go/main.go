// greeter: reads greeting.txt from its working directory, needs the system CA bundle and its own
// passwd entry, prints one line and answers HTTP on :8080.
package main

import (
	"bufio"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/user"
)

func main() {
	data, err := os.ReadFile("greeting.txt")
	if err != nil {
		fmt.Fprintln(os.Stderr, "no greeting:", err)
		os.Exit(3)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || len(pool.Subjects()) == 0 {
		fmt.Fprintln(os.Stderr, "no CA certificates")
		os.Exit(4)
	}
	u, err := user.Current()
	if err != nil {
		fmt.Fprintln(os.Stderr, "unknown user:", err)
		os.Exit(5)
	}
	fmt.Printf("greeter: %s as %s\n", data, u.Username)
	listener, err := net.Listen("tcp", ":8080")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(6)
	}
	for {
		conn, err := listener.Accept()
		if err != nil {
			continue
		}
		go func(c net.Conn) {
			defer c.Close()
			bufio.NewReader(c).ReadString('\n')
			fmt.Fprintf(c, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n%s", data)
		}(conn)
	}
}
