import localpkg

print(localpkg.VERSION)
