/*
 * replay_main.c - runs a libFuzzer target over files without libFuzzer.
 *
 * Linked with any fuzz_*.c, it feeds LLVMFuzzerTestOneInput every file given
 * on the command line (directories are walked one level deep), so the seed
 * corpus and every crash ever found run in each ordinary test build, also
 * under gcc and the sanitizers.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tml/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    uint8_t *data;
    size_t len;
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_file_read(path, &data, &len, &err) != TML_OK) {
        fprintf(stderr, "replay: %s\n", tml_err_message(&err));
        return -1;
    }
    /* Copy into an exact-size block so ASan catches reads one past the end. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        tml_free(data);
        return -1;
    }
    memcpy(exact, data, len);
    tml_free(data);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

int main(int argc, char **argv)
{
    int n_files = 0, n_errors = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: not found\n", argv[i]);
            n_errors++;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            n_errors += replay_file(argv[i]) != 0;
            n_files++;
            continue;
        }
        DIR *dir = opendir(argv[i]);
        if (!dir) {
            n_errors++;
            continue;
        }
        struct dirent *ent;
        while ((ent = readdir(dir)) != NULL) {
            if (ent->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", argv[i], ent->d_name);
            n_errors += replay_file(path) != 0;
            n_files++;
        }
        closedir(dir);
    }
    printf("replayed %d inputs, %d unreadable\n", n_files, n_errors);
    return (n_errors || n_files == 0) ? 1 : 0;
}
