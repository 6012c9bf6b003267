// A minimal Go app for Ravioli's go_buildpack: answers GET / on $PORT.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "Hello from Go %s on Ravioli!\n", runtime.Version())
	})
	log.Printf("hello-go listening on port %s", port)
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
