module example.com/api

go 1.19

require example.com/greet v0.0.0
