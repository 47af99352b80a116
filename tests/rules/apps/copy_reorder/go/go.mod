module example.com/copyreorder

go 1.19
