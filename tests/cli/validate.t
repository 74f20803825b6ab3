tensogram validate.
Follows tensogram-cli/src/commands/validate.rs (print_human and
JsonFileReport) over the library's FileValidationReport:
  - "FILE: OK (M messages, O objects[, hash verified])" on stdout when no
    issue is an error and there are no file-level issues; its warnings go to
    stderr as "FILE: WARNING — message i, object j: description"
  - otherwise every issue on stderr ("FAILED —" for errors, 1-based message
    and object numbers, " (at byte N)" when the issue has an offset), file
    issues as "FILE: FAILED — description (at byte offset N, L bytes)" (the
    reference labels them WARNING, yet counts them as errors) and
    the summary "FILE: FAILED (K error[s], M messages, O objects)"; exit 1
  - --json: a pretty array of {file, status, messages, objects,
    hash_verified, file_issues, message_reports} in that order
  - --quick / --checksum / --full are mutually exclusive (clap group), files
    are required.
The issue texts themselves are the library's.

$ cli_helper gen params params.tgm
$ cli_helper gen nohash nohash.tgm
$ cli_helper gen nan nan.tgm
$ cli_helper gen streamed s.tgm

$ tensogram validate params.tgm s.tgm
> params.tgm: OK (3 messages, 3 objects, hash verified)
> s.tgm: OK (1 messages, 2 objects, hash verified)
$ tensogram validate --quick params.tgm
> params.tgm: OK (3 messages, 3 objects)
$ tensogram validate --full --canonical params.tgm nan.tgm
> params.tgm: OK (3 messages, 3 objects, hash verified)
> nan.tgm: OK (1 messages, 1 objects, hash verified)
$ tensogram validate --checksum params.tgm
> params.tgm: OK (3 messages, 3 objects, hash verified)

A warning does not fail the file
$ tensogram validate nohash.tgm
> nohash.tgm: OK (1 messages, 1 objects)
! nohash.tgm: WARNING — message 1, object 1: HASHES_PRESENT flag is clear — message was encoded without hashes; cannot verify integrity
$ tensogram validate --json nohash.tgm
> [
>   {
>     "file": "nohash.tgm",
>     "status": "ok",
>     "messages": 1,
>     "objects": 1,
>     "hash_verified": false,
>     "file_issues": [],
>     "message_reports": [
>       {
>         "issues": [
>           {
>             "code": "no_hash_available",
>             "level": "integrity",
>             "severity": "warning",
>             "object_index": 0,
>             "description": "HASHES_PRESENT flag is clear — message was encoded without hashes; cannot verify integrity"
>           }
>         ],
>         "object_count": 1,
>         "hash_verified": false
>       }
>     ]
>   }
> ]

A corrupted payload byte (reference test: cli_validate_corrupt_payload_*)
$ cli_helper flip-payload params.tgm bad.tgm
$ tensogram validate bad.tgm
! bad.tgm: FAILED — message 1, object 1: frame hash mismatch \(expected [0-9a-f]{16}, got [0-9a-f]{16}\) \(at byte [0-9]+\) (re)
! bad.tgm: FAILED (1 error, 3 messages, 3 objects)
[exit 1]
$ tensogram validate --quick bad.tgm
> bad.tgm: OK (3 messages, 3 objects)
$ tensogram validate params.tgm bad.tgm nohash.tgm
> params.tgm: OK (3 messages, 3 objects, hash verified)
> nohash.tgm: OK (1 messages, 1 objects)
! bad.tgm: FAILED — message 1, object 1: frame hash mismatch \(expected [0-9a-f]{16}, got [0-9a-f]{16}\) \(at byte [0-9]+\) (re)
! bad.tgm: FAILED (1 error, 3 messages, 3 objects)
! nohash.tgm: WARNING — message 1, object 1: HASHES_PRESENT flag is clear — message was encoded without hashes; cannot verify integrity
[exit 1]
$ tensogram validate --json bad.tgm | grep -E '"(status|hash_verified|code|severity|object_index)"'
>     "status": "failed",
>     "hash_verified": false,
>             "code": "hash_mismatch",
>             "severity": "error",
>             "object_index": 0,
>         "hash_verified": false
>         "hash_verified": true
>         "hash_verified": true

Bytes outside messages are file-level issues (reference test:
cli_validate_trailing_junk_*)
$ cp params.tgm junk.tgm && printf 'GARBAGE_TRAILING_DATA' >> junk.tgm && tensogram validate junk.tgm
! junk.tgm: FAILED — [0-9]+ trailing bytes after last message at offset [0-9]+ \(at byte offset [0-9]+, 21 bytes\) (re)
! junk.tgm: FAILED (1 error, 3 messages, 3 objects)
[exit 1]
$ head -c 100 params.tgm > short.tgm && tensogram validate --json short.tgm
> [
>   {
>     "file": "short.tgm",
>     "status": "failed",
>     "messages": 0,
>     "objects": 0,
>     "hash_verified": false,
>     "file_issues": [
>       {
>         "byte_offset": 0,
>         "length": 100,
>         "description": "100 bytes with no valid messages"
>       }
>     ],
>     "message_reports": []
>   }
> ]
[exit 1]

Standard input
$ tensogram validate - < params.tgm
> -: OK (3 messages, 3 objects, hash verified)

Errors: a file that cannot be read stops the command (no JSON printed)
$ tensogram validate --json params.tgm missing.tgm
! error: cannot validate 'missing.tgm': (I/O error: )?.*missing.tgm.* (re)
[exit 1]
$ tensogram validate --quick --checksum params.tgm
! error: the argument '--quick' cannot be used with '--checksum' (see 'tensogram validate --help')
[exit 2]
$ tensogram validate
! error: the following required arguments were not provided: <FILES>... (see 'tensogram validate --help')
[exit 2]

Validation memory bomb (issue 12 item 8): 656 bytes of 2^31 float64 values
packed with 0 bits decode to 16 GiB.  The default level checks a payload
without a compression stage by its size alone, so it decodes nothing; the
full level must decode, and the default --decode-limit (64 MiB or 64 times
the message size) stops it with a warning naming the limit.  (The previous
tool took 17 GB and 45-90 s at the default level.)
$ cli_helper gen bomb bomb.tgm
$ tensogram validate bomb.tgm
> bomb.tgm: OK (1 messages, 1 objects, hash verified)
$ tensogram validate --full bomb.tgm
> bomb.tgm: OK (1 messages, 1 objects, hash verified)
! bomb.tgm: WARNING — message 1, object 1: not decoded: the object decodes to 17179869184 bytes, more than this validation's limit of 67108864 bytes (64 MiB or 64 times the message size), so its decoding and its values were not checked (at byte 376)
$ tensogram validate --full --json bomb.tgm | grep -A6 '"issues": \[' | head -8
>         "issues": [
>           {
>             "code": "not_decoded",
>             "level": "integrity",
>             "severity": "warning",
>             "object_index": 0,
>             "byte_offset": 376,
$ tensogram validate --full --decode-limit 100M bomb.tgm
> bomb.tgm: OK (1 messages, 1 objects, hash verified)
! bomb.tgm: WARNING — message 1, object 1: not decoded: the object decodes to 17179869184 bytes, more than this validation's limit of 104857600 bytes, so its decoding and its values were not checked (at byte 376)
$ tensogram validate --decode-limit 0 bomb.tgm
! error: invalid value '0' for '--decode-limit <BYTES>': expected auto, none, or a positive number of bytes (suffixes K, M, G, T) (see 'tensogram validate --help')
[exit 2]
$ tensogram validate --decode-limit 2X bomb.tgm
! error: invalid value '2X' for '--decode-limit <BYTES>': expected auto, none, or a positive number of bytes (suffixes K, M, G, T) (see 'tensogram validate --help')
[exit 2]

Many objects under the limit add up: the automatic limit is also a budget
for the whole run over one input, 64 MiB or 64 times its size.  20 blosc2
objects of 8 MiB of zeros take a few KB; 8 fit in the budget, the other 12
are reported, and an explicit limit bounds each object only.  (Before, a
446 KB message of 1000 such objects took 6 s and decoded 60 GB.)
$ cli_helper gen budget budget.tgm
$ tensogram validate budget.tgm 2>&1 | grep -c "WARNING .* decode budget of 67108864 bytes (64 MiB or 64 times the size of the input)"
> 12
$ tensogram validate budget.tgm 2>/dev/null
> budget.tgm: OK (1 messages, 20 objects, hash verified)
$ cat budget.tgm budget.tgm | tensogram validate --json - | grep -c '"not_decoded"'
> 32
$ tensogram validate --decode-limit 8M budget.tgm
> budget.tgm: OK (1 messages, 20 objects, hash verified)
