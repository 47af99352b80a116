/* sqlver: links libsqlite3 (not in debian-slim) and prints its version. */
#include <stdio.h>
#include <sqlite3.h>

int main(void) {
    printf("sqlite %s\n", sqlite3_libversion());
    return 0;
}
