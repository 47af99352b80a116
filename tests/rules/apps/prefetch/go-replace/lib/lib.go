package lib

// Hello is what the app prints.
func Hello() string { return "hello through a replace" }
