package main

import (
	"fmt"
	"os"
)

func main() {
	data, err := os.ReadFile("config/greeting.txt")
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(3)
	}
	fmt.Print(string(data))
}
