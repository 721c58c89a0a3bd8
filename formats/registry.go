package formats

// Lookup returns the formatter registered under name.
func Lookup(name string) (Encoder, bool) { return nil, false }

// Registered lists the names of registered formatters, sorted.
func Registered() []string { return nil }
