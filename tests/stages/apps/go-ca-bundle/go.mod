module example.com/certs

go 1.19
