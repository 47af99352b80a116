package greet

// Hello is what the api prints.
func Hello() string { return "hello from a go workspace" }
