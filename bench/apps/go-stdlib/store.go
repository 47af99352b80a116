package main

import (
	"crypto/sha256"
	"encoding/base64"
	"sync"
)

// Store maps short codes to URLs.
type Store struct {
	mu   sync.RWMutex
	urls map[string]string
}

func NewStore() *Store { return &Store{urls: map[string]string{}} }

func (s *Store) Add(url string) string {
	sum := sha256.Sum256([]byte(url))
	code := base64.RawURLEncoding.EncodeToString(sum[:])[:7]
	s.mu.Lock()
	s.urls[code] = url
	s.mu.Unlock()
	return code
}

func (s *Store) Get(code string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	url, ok := s.urls[code]
	return url, ok
}
