//go:build !linux

package warehouse

// exchange is Linux's alone: elsewhere a partition is swapped by two renames.
func exchange(_, _ string) error { return errNoExchange }
