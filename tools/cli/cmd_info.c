/* tensogram info: file-level summary (reference: tensogram-cli/src/commands/info.rs). */
#include <stdlib.h>

#include "cli.h"

int cmd_info(int argc, char **argv, cli_globals *g) {
    cli_args a;
    int r = cli_parse_args("info", NULL, 0, argc, argv, g, &a);
    if (r != 0) {
        free(a.pos);
        return r == CLI_HELP_SHOWN ? EXIT_OK : r;
    }
    int rc = EXIT_OK;
    for (size_t f = 0; f < a.npos && rc == EXIT_OK; f++) {
        cli_input in;
        if (!input_open(&in, a.pos[f], g->strict)) {
            rc = EXIT_FAIL;
            input_close(&in);
            break;
        }
        printf("File: %s\n", a.pos[f]);
        printf("  Messages: %zu\n", in.count);
        printf("  Size: %llu bytes\n", (unsigned long long)in.size);
        if (in.count > 0) {
            /* The first message must at least parse; the version itself is
             * the wire version every readable message has. */
            tgm_metadata_t *meta = NULL;
            if (!input_metadata(&in, 0, &meta)) {
                rc = EXIT_FAIL;
            } else {
                printf("  Version: %d\n", TGM_WIRE_VERSION);
                tgm_metadata_free(meta);
            }
        }
        if (rc == EXIT_OK) {
            printf("\n");
        }
        input_close(&in);
    }
    free(a.pos);
    return rc;
}
