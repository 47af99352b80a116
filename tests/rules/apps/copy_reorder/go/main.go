// A tiny Go program (standard library only: no module proxy here); the build test edits this file.
package main

import "fmt"

func main() {
	fmt.Println("hello")
}
