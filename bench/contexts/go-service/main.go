package main

import "fmt"

func main() { fmt.Println("service ready") }
