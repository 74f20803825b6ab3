tensogram reshuffle.
Follows tensogram-cli/src/commands/reshuffle.rs: every message is written
again as a buffered (random-access) message, index and hash frames in the
header; the report line is "Reshuffled N message(s) from IN to OUT".
Differences: payloads are copied, not decoded and encoded again, where the
library accepts them as pre-encoded input (docs/cli.md).  It does not yet
for objects with NaN / Inf masks or compressed `encoding: none` payloads:
those are decoded and encoded again as in the reference, which needs
--allow-nan / --allow-inf for masked values (allow_nan_inf_cli.rs).

$ cli_helper gen streamed s.tgm
$ cli_helper gen params params.tgm
$ cli_helper gen nan nan.tgm
$ cli_helper gen zstd zstd.tgm

$ cli_helper frames s.tgm
> message 0: header_metadata footer_metadata footer_index footer_hashes preceder_metadata hashes_present
$ tensogram reshuffle s.tgm -o r.tgm
> Reshuffled 1 message(s) from s.tgm to r.tgm
$ cli_helper frames r.tgm
> message 0: header_metadata header_index header_hashes hashes_present
$ cli_helper same s.tgm r.tgm
> same values (1 messages, 2 objects)
$ tensogram dump s.tgm > a.txt && tensogram dump r.tgm > b.txt && cmp a.txt b.txt && echo "same metadata"
> same metadata
$ tensogram validate r.tgm
> r.tgm: OK (1 messages, 2 objects, hash verified)

Already random-access messages, several of them
$ tensogram reshuffle params.tgm -o r2.tgm && cli_helper same params.tgm r2.tgm
> Reshuffled 3 message(s) from params.tgm to r2.tgm
> same values (3 messages, 3 objects)

Masks and compressed payloads
$ tensogram --allow-nan --allow-inf reshuffle nan.tgm -o n.tgm && cli_helper same nan.tgm n.tgm
> Reshuffled 1 message(s) from nan.tgm to n.tgm
> same values (1 messages, 1 objects)
$ tensogram reshuffle zstd.tgm -o z.tgm && cli_helper same zstd.tgm z.tgm
> Reshuffled 1 message(s) from zstd.tgm to z.tgm
> same values (1 messages, 1 objects)

A NaN stored without a mask (allow_nan_inf_cli.rs builds such a file and
expects the reference's reshuffle to fail without --allow-nan, because it
encodes the decoded values again): here the payload is copied as it is
$ cli_helper gen rawnan rawnan.tgm
$ tensogram reshuffle rawnan.tgm -o rn.tgm && cli_helper same rawnan.tgm rn.tgm
> Reshuffled 1 message(s) from rawnan.tgm to rn.tgm
> same values (1 messages, 1 objects)

Masked values need the options when they are encoded again; the
environment variables work as the flags
$ TENSOGRAM_ALLOW_NAN=1 TENSOGRAM_ALLOW_INF=yes tensogram reshuffle nan.tgm -o n3.tgm && cli_helper same nan.tgm n3.tgm
> Reshuffled 1 message(s) from nan.tgm to n3.tgm
> same values (1 messages, 1 objects)
$ tensogram --allow-nan --allow-inf --nan-mask-method=zstd --small-mask-threshold=0 reshuffle nan.tgm -o n4.tgm > /dev/null && cli_helper same nan.tgm n4.tgm
> same values (1 messages, 1 objects)

Standard input and output
$ tensogram reshuffle - -o - < s.tgm > r3.tgm && cmp -s r3.tgm r.tgm; cli_helper frames r3.tgm
> message 0: header_metadata header_index header_hashes hashes_present
! Reshuffled 1 message(s) from - to -

Errors
$ tensogram reshuffle s.tgm
! error: the following required arguments were not provided: --output <OUTPUT> (see 'tensogram reshuffle --help')
[exit 2]
$ tensogram reshuffle missing.tgm -o x.tgm
! error: cannot open 'missing.tgm': No such file or directory
[exit 1]
