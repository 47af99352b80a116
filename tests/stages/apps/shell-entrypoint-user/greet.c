#include <stdio.h>
#include <stdlib.h>
int main(int c, char **v) { printf("%s %s\n", getenv("GREETING"), c > 1 ? v[1] : "?"); return 0; }
