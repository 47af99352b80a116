#include <ctype.h>
#include <stdio.h>
#include "wordfreq.h"

/* Print the ten most frequent words read from stdin. */
int main(void) {
    struct table t = {0};
    char word[128];
    size_t n = 0;
    int c;
    while ((c = getchar()) != EOF) {
        if (isalnum(c) && n < sizeof word - 1) {
            word[n++] = (char)tolower(c);
        } else if (n) {
            word[n] = '\0';
            table_add(&t, word);
            n = 0;
        }
    }
    table_sort(&t);
    for (size_t i = 0; i < t.len && i < 10; i++)
        printf("%6zu %s\n", t.items[i].count, t.items[i].word);
    return 0;
}
