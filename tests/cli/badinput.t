Bad input: every failure is one "error:" line naming the file, key or
value, a non-zero status, and no output file.
The reference reports such errors through main.rs ("error: {e}", exit 1)
with the library's message, which does not always name the file; these
messages are this tool's own (docs/cli.md).  Bytes that are not part of a
complete message are skipped with a warning naming their offset and length
(the reference's readers skip them silently; its validate reports them);
with --strict (or TENSOGRAM_STRICT) they are an error.

$ cli_helper gen params params.tgm
$ mkdir adir
$ : > empty.tgm
$ head -c 1000 params.tgm > truncated.tgm
$ { head -c 700 params.tgm; printf JUNKJUNK; tail -c +701 params.tgm; } > middle.tgm
$ cp params.tgm meta.tgm && printf '\xff' | dd of=meta.tgm bs=1 seek=40 conv=notrunc 2>/dev/null
$ printf 'not a tensogram file at all' > text.tgm

Missing files and directories
$ tensogram info missing.tgm
! error: cannot open 'missing.tgm': No such file or directory
[exit 1]
$ tensogram dump adir
! error: cannot open 'adir': it is a directory
[exit 1]
$ tensogram info params.tgm missing.tgm | grep -c File
> 1
! error: cannot open 'missing.tgm': No such file or directory

Empty file: no messages, not an error
$ tensogram ls empty.tgm
> version
$ tensogram copy empty.tgm e2.tgm && wc -c < e2.tgm
> 0

Truncated and corrupt files: the complete messages are shown, each skipped
region is named on stderr; --strict refuses the input
$ tensogram info truncated.tgm
> File: truncated.tgm
>   Messages: 1
>   Size: 1000 bytes
>   Version: 3
>
! warning: 'truncated.tgm': 384 bytes at offset 616 follow the last complete message (truncated or torn; skipped; 'tensogram validate' gives details, --strict refuses such input)
$ tensogram --strict info truncated.tgm
! error: 'truncated.tgm': 384 bytes at offset 616 follow the last complete message (truncated or corrupt file; 'tensogram validate' gives details)
[exit 1]
$ tensogram dump truncated.tgm
> === Message 0 ===
> version: 3
> objects: 1
>   object[0]: type=ntensor, dtype=float32, shape=[4]
>   base[0]:
>     _reserved_: {"tensor":{"dtype":"float32","ndim":1,"shape":[4],"strides":[1]}}
>     mars: {"class":"od","date":"20260401","param":"2t","step":0,"type":"fc"}
>
! warning: 'truncated.tgm': 384 bytes at offset 616 follow the last complete message (truncated or torn; skipped; 'tensogram validate' gives details, --strict refuses such input)
$ tensogram dump --strict=true truncated.tgm
! error: 'truncated.tgm': 384 bytes at offset 616 follow the last complete message (truncated or corrupt file; 'tensogram validate' gives details)
[exit 1]
$ tensogram ls middle.tgm
> version
> 3
> 3
! warning: 'middle.tgm': 624 bytes at offset 616 are not part of a complete message (torn or corrupt; skipped; 'tensogram validate' gives details, --strict refuses such input)
$ TENSOGRAM_STRICT=1 tensogram ls middle.tgm
> version
! error: 'middle.tgm': 624 bytes at offset 616 are not part of a complete message (truncated or corrupt file; 'tensogram validate' gives details)
[exit 1]
$ TENSOGRAM_STRICT=1 tensogram --strict=no ls middle.tgm | tail -1
> 3
! warning: 'middle.tgm': 624 bytes at offset 616 are not part of a complete message (torn or corrupt; skipped; 'tensogram validate' gives details, --strict refuses such input)
$ tensogram get -p version text.tgm
! warning: 'text.tgm': 27 bytes at offset 0 are not part of a complete message (torn or corrupt; skipped; 'tensogram validate' gives details, --strict refuses such input)
$ tensogram get --strict -p version text.tgm
! error: 'text.tgm': 27 bytes at offset 0 are not part of a complete message (truncated or corrupt file; 'tensogram validate' gives details)
[exit 1]
$ tensogram --strict=maybe info truncated.tgm
! error: invalid value 'maybe' for '--strict <STRICT>': expected one of true, false, yes, no, on, off, 1, 0 (see 'tensogram --help')
[exit 2]
$ tensogram ls -p mars.param meta.tgm
> mars.param
! error: 'meta.tgm' message 0: metadata error: HeaderMetadata frame at offset 24: failed to parse CBOR: .* (re)
[exit 1]
$ tensogram dump meta.tgm
! error: 'meta.tgm' message 0: .* (re)
[exit 1]

No output file is left behind by any writing command
$ tensogram copy truncated.tgm out.tgm && tensogram info out.tgm | grep Messages && rm out.tgm
>   Messages: 1
! warning: 'truncated.tgm': 384 bytes at offset 616 follow the last complete message (truncated or torn; skipped; 'tensogram validate' gives details, --strict refuses such input)
$ tensogram --strict copy truncated.tgm out.tgm
! error: 'truncated.tgm': 384 bytes at offset 616 follow the last complete message (truncated or corrupt file; 'tensogram validate' gives details)
[exit 1]
$ tensogram set -s a=b meta.tgm out.tgm
! error: 'meta.tgm' message 0: metadata error: HeaderMetadata frame at offset 24: failed to parse CBOR: .* (re)
[exit 1]
$ tensogram merge params.tgm meta.tgm -o out.tgm
! error: 'meta.tgm' message 0: .* (re)
[exit 1]
$ tensogram --strict split middle.tgm -o out.tgm
! error: 'middle.tgm': 624 bytes at offset 616 are not part of a complete message (truncated or corrupt file; 'tensogram validate' gives details)
[exit 1]
$ tensogram reshuffle meta.tgm -o out.tgm
! error: 'meta.tgm' message 0: .* (re)
[exit 1]
$ ls -A | grep -c -e out -e tmp
> 0
[exit 1]

Unknown keys and malformed where clauses
$ tensogram get -p mars.nope params.tgm
! error: key not found: mars.nope (in 'params.tgm' message 0)
[exit 1]
$ tensogram ls -w 'mars.param' params.tgm
! error: invalid where clause 'mars.param': expected key=value or key!=value
[exit 1]
$ tensogram dump -w '!=x' params.tgm
! error: invalid where clause '!=x': the key before '!=' is empty
[exit 1]
