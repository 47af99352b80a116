// checksum: an HTTP service whose hashing is done in C through cgo (so the binary links libc).
package main

/*
#include <stdint.h>
#include <stddef.h>
static uint32_t fnv1a(const char *data, size_t n) {
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) { h ^= (unsigned char)data[i]; h *= 16777619u; }
	return h;
}
*/
import "C"

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"unsafe"
)

func checksum(data []byte) uint32 {
	if len(data) == 0 {
		return uint32(C.fnv1a(nil, 0))
	}
	return uint32(C.fnv1a((*C.char)(unsafe.Pointer(&data[0])), C.size_t(len(data))))
}

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%08x\n", checksum(body))
	})
	log.Println("checksum listening on :8080")
	log.Fatal(http.ListenAndServe(":8080", nil))
}
