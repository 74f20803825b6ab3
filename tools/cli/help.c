/* Help texts: `tensogram --help`, `tensogram <command> --help`,
 * `tensogram help <command>`. */
#include <string.h>

#include "cli.h"

static const char global_options[] =
    "Global options (accepted before or after the command):\n"
    "      --threads <THREADS>\n"
    "          Thread budget for coding work; 0 (default) runs sequentially\n"
    "          [env: TENSOGRAM_THREADS]\n"
    "      --allow-nan[=<BOOL>]\n"
    "          When a command has to encode values again, store NaN as a mask\n"
    "          instead of failing [env: TENSOGRAM_ALLOW_NAN]\n"
    "      --allow-inf[=<BOOL>]\n"
    "          Same for +Inf and -Inf [env: TENSOGRAM_ALLOW_INF]\n"
    "      --nan-mask-method <METHOD>\n"
    "          none, rle, roaring (default), lz4, zstd or blosc2\n"
    "          [env: TENSOGRAM_NAN_MASK_METHOD]\n"
    "      --pos-inf-mask-method <METHOD>\n"
    "          Method for the +Inf mask [env: TENSOGRAM_POS_INF_MASK_METHOD]\n"
    "      --neg-inf-mask-method <METHOD>\n"
    "          Method for the -Inf mask [env: TENSOGRAM_NEG_INF_MASK_METHOD]\n"
    "      --small-mask-threshold <BYTES>\n"
    "          Masks of at most this many bytes are stored uncompressed; default 128,\n"
    "          0 disables [env: TENSOGRAM_SMALL_MASK_THRESHOLD]\n";

static const char main_help[] =
    "Tensogram message format CLI\n"
    "\n"
    "Usage: tensogram [OPTIONS] <COMMAND>\n"
    "\n"
    "Commands:\n"
    "  info       Show file-level summary: message count, size, version\n"
    "  ls         List metadata from messages in tabular format\n"
    "  dump       Full dump of message contents\n"
    "  get        Extract specific key values (strict: errors on missing keys)\n"
    "  set        Modify metadata key/value pairs\n"
    "  copy       Copy/split messages from input to output\n"
    "  merge      Merge messages from multiple files into a single message\n"
    "  split      Split multi-object messages into separate single-object files\n"
    "  reshuffle  Reshuffle frames: move footer frames to header position\n"
    "  validate   Validate .tgm files for correctness and integrity\n"
    "  doctor     Report environment diagnostics: build info, compiled-in features,\n"
    "             self-test\n"
    "  help       Print this message or the help of the given command\n"
    "\n"
    "Not available in this build: convert-grib, convert-netcdf, to-grib, to-netcdf.\n"
    "\n"
    "A file argument of '-' reads standard input; an output of '-' writes standard\n"
    "output.\n"
    "\n"
    "Options:\n"
    "  -h, --help     Print help\n"
    "  -V, --version  Print version\n"
    "\n";

typedef struct {
    const char *name;
    const char *text;
} help_entry;

static const help_entry helps[] = {
    {"info",
     "Show file-level summary: message count, size, version\n"
     "\n"
     "Usage: tensogram info [FILES]...\n"
     "\n"
     "Arguments:\n"
     "  [FILES]...  .tgm files ('-' reads standard input)\n"
     "\n"
     "Options:\n"
     "  -h, --help  Print help\n"
     "\n"
     "Examples:\n"
     "  tensogram info forecast.tgm\n"
     "  tensogram info a.tgm b.tgm\n"},
    {"ls",
     "List metadata from messages in tabular format\n"
     "\n"
     "Usage: tensogram ls [OPTIONS] [FILES]...\n"
     "\n"
     "Arguments:\n"
     "  [FILES]...  .tgm files ('-' reads standard input)\n"
     "\n"
     "Options:\n"
     "  -w <WHERE_CLAUSE>  Where-clause filter (e.g., mars.param=2t/10u, mars.class!=od)\n"
     "  -p <KEYS>          Comma-separated keys to display [default: version]\n"
     "  -j                 JSON output (one object per message)\n"
     "  -h, --help         Print help\n"
     "\n"
     "Missing keys show as N/A (omitted in JSON output).\n"
     "\n"
     "Examples:\n"
     "  tensogram ls forecast.tgm -p mars.date,mars.step,mars.param\n"
     "  tensogram ls forecast.tgm -w mars.param=2t/10u -p mars.param\n"
     "  tensogram ls forecast.tgm -w mars.type!=em -j\n"},
    {"dump",
     "Full dump of message contents\n"
     "\n"
     "Usage: tensogram dump [OPTIONS] [FILES]...\n"
     "\n"
     "Arguments:\n"
     "  [FILES]...  .tgm files ('-' reads standard input)\n"
     "\n"
     "Options:\n"
     "  -w <WHERE_CLAUSE>  Only dump messages matching this filter\n"
     "  -p <KEYS>          Comma-separated keys to display (with -j)\n"
     "  -j                 JSON output\n"
     "  -h, --help         Print help\n"
     "\n"
     "Examples:\n"
     "  tensogram dump forecast.tgm\n"
     "  tensogram dump forecast.tgm -w mars.param=2t -j\n"},
    {"get",
     "Extract specific key values (strict: errors on missing keys)\n"
     "\n"
     "Usage: tensogram get [OPTIONS] -p <KEYS> [FILES]...\n"
     "\n"
     "Arguments:\n"
     "  [FILES]...  .tgm files ('-' reads standard input)\n"
     "\n"
     "Options:\n"
     "  -w <WHERE_CLAUSE>  Only read messages matching this filter\n"
     "  -p <KEYS>          Comma-separated keys to extract (required)\n"
     "  -h, --help         Print help\n"
     "\n"
     "Prints the values of each matching message on one line, separated by\n"
     "spaces.  A key missing from a matching message is an error (exit 1).\n"
     "\n"
     "Examples:\n"
     "  tensogram get -p mars.param forecast.tgm\n"
     "  tensogram get -p mars.date,mars.step -w mars.param=2t forecast.tgm\n"},
    {"set",
     "Modify metadata key/value pairs\n"
     "\n"
     "Usage: tensogram set [OPTIONS] -s <SET_VALUES> <INPUT> <OUTPUT>\n"
     "\n"
     "Arguments:\n"
     "  <INPUT>   Input .tgm file ('-' reads standard input)\n"
     "  <OUTPUT>  Output file ('-' writes standard output)\n"
     "\n"
     "Options:\n"
     "  -s <SET_VALUES>    Key=value pairs to set (comma-separated)\n"
     "  -w <WHERE_CLAUSE>  Only modify messages matching this filter; the others are\n"
     "                     copied unchanged\n"
     "  -h, --help         Print help\n"
     "\n"
     "Keys: 'a.b' sets a.b in every object's metadata (base entries), 'extra.a.b'\n"
     "sets it in the message-level _extra_ map, 'objects.<i>.a.b' sets it in the\n"
     "descriptor of object i.  Values are stored as strings.  Keys describing the\n"
     "stored payload (shape, dtype, encoding, ..., sp_*, szip_*) and the _reserved_\n"
     "namespace cannot be changed.  Payloads are copied unchanged.\n"
     "\n"
     "Examples:\n"
     "  tensogram set -s mars.date=20260402 in.tgm out.tgm\n"
     "  tensogram set -s mars.class=rd,mars.stream=oper -w mars.param=2t in.tgm out.tgm\n"
     "  tensogram set -s objects.0.units=K in.tgm out.tgm\n"},
    {"copy",
     "Copy/split messages from input to output\n"
     "\n"
     "Usage: tensogram copy [OPTIONS] <INPUT> <OUTPUT>\n"
     "\n"
     "Arguments:\n"
     "  <INPUT>   Input .tgm file ('-' reads standard input)\n"
     "  <OUTPUT>  Output path; [key] placeholders are replaced by each message's\n"
     "            value of key ('unknown' when absent), which spreads the messages\n"
     "            over several files\n"
     "\n"
     "Options:\n"
     "  -w <WHERE_CLAUSE>  Only copy messages matching this filter\n"
     "  -h, --help         Print help\n"
     "\n"
     "Every output file is replaced, not appended to; outputs appear only when the\n"
     "whole copy succeeded.\n"
     "\n"
     "Examples:\n"
     "  tensogram copy in.tgm out.tgm -w mars.type=fc\n"
     "  tensogram copy forecast.tgm 'by_param/[mars.param].tgm'\n"
     "  tensogram copy forecast.tgm '[mars.date]_[mars.step].tgm'\n"},
    {"merge",
     "Merge messages from multiple files into a single message\n"
     "\n"
     "Usage: tensogram merge [OPTIONS] --output <OUTPUT> [INPUTS]...\n"
     "\n"
     "Arguments:\n"
     "  [INPUTS]...  Input files ('-' reads standard input)\n"
     "\n"
     "Options:\n"
     "  -o, --output <OUTPUT>      Output file ('-' writes standard output)\n"
     "  -s, --strategy <STRATEGY>  Merge strategy for conflicting _extra_ keys:\n"
     "                             first (default) - first value wins,\n"
     "                             last - last value wins,\n"
     "                             error - fail on conflict [default: first]\n"
     "  -h, --help                 Print help\n"
     "\n"
     "Examples:\n"
     "  tensogram merge a.tgm b.tgm -o merged.tgm\n"
     "  tensogram merge multi.tgm -o single.tgm --strategy error\n"},
    {"split",
     "Split multi-object messages into separate single-object files\n"
     "\n"
     "Usage: tensogram split --output <OUTPUT> <INPUT>\n"
     "\n"
     "Arguments:\n"
     "  <INPUT>  Input file ('-' reads standard input)\n"
     "\n"
     "Options:\n"
     "  -o, --output <OUTPUT>  Output template: [index] becomes 0000, 0001, ...;\n"
     "                         without it the number goes before the extension\n"
     "                         (out.tgm -> out_0000.tgm)\n"
     "  -h, --help             Print help\n"
     "\n"
     "Examples:\n"
     "  tensogram split multi_object.tgm -o 'field_[index].tgm'\n"
     "  tensogram split multi_object.tgm -o output.tgm\n"},
    {"reshuffle",
     "Reshuffle frames: move footer frames to header position\n"
     "\n"
     "Usage: tensogram reshuffle --output <OUTPUT> <INPUT>\n"
     "\n"
     "Arguments:\n"
     "  <INPUT>  Input file ('-' reads standard input)\n"
     "\n"
     "Options:\n"
     "  -o, --output <OUTPUT>  Output file ('-' writes standard output)\n"
     "  -h, --help             Print help\n"
     "\n"
     "Rewrites streamed messages (index and hash frames after the data) as\n"
     "random-access messages (index and hash frames first).  Payloads are copied\n"
     "unchanged.\n"
     "\n"
     "Examples:\n"
     "  tensogram reshuffle streamed.tgm -o random_access.tgm\n"},
    {"validate",
     "Validate .tgm files for correctness and integrity\n"
     "\n"
     "Usage: tensogram validate [OPTIONS] <FILES>...\n"
     "\n"
     "Arguments:\n"
     "  <FILES>...  Paths to .tgm files ('-' reads standard input)\n"
     "\n"
     "Options:\n"
     "      --quick      Quick mode: structure only (level 1)\n"
     "      --checksum   Checksum only: hash verification (level 3)\n"
     "      --full       Full mode: all levels including fidelity (levels 1-4)\n"
     "      --canonical  Check RFC 8949 canonical CBOR key ordering (combinable with\n"
     "                   any level)\n"
     "      --json       Machine-parseable JSON output\n"
     "  -h, --help       Print help\n"
     "\n"
     "Exit status 1 when any file has an error or bytes outside messages.\n"
     "\n"
     "Examples:\n"
     "  tensogram validate data/*.tgm\n"
     "  tensogram validate --full --canonical output.tgm\n"
     "  tensogram validate --json archive.tgm\n"},
    {"doctor",
     "Report environment diagnostics: build info, compiled-in features, self-test\n"
     "\n"
     "Usage: tensogram doctor [OPTIONS]\n"
     "\n"
     "Options:\n"
     "      --json  Machine-parseable JSON output\n"
     "  -h, --help  Print help\n"
     "\n"
     "Exit status 1 when a self-test fails.\n"
     "\n"
     "Examples:\n"
     "  tensogram doctor\n"
     "  tensogram doctor --json\n"},
};

void cli_print_main_help(FILE *out) {
    fputs(main_help, out);
    fputs(global_options, out);
}

bool cli_print_command_help(const char *cmd, FILE *out) {
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
        if (strcmp(helps[i].name, cmd) == 0) {
            fputs(helps[i].text, out);
            fputs("\n", out);
            fputs(global_options, out);
            return true;
        }
    }
    return false;
}
