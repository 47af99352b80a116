package main

import (
	"encoding/json"
	"net/http"
	"strings"
)

func NewHandler(store *Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			var body struct{ URL string `json:"url"` }
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.URL == "" {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			json.NewEncoder(w).Encode(map[string]string{"code": store.Add(body.URL)})
		case http.MethodGet:
			if url, ok := store.Get(strings.TrimPrefix(r.URL.Path, "/")); ok {
				http.Redirect(w, r, url, http.StatusFound)
				return
			}
			http.NotFound(w, r)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	})
}
