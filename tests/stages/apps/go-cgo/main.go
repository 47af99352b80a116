package main

// #include <stdio.h>
// static void hi(void) { puts("hello from cgo"); fflush(stdout); }
import "C"

func main() { C.hi() }
