Global options, help, version and dispatch.
Follows tensogram-cli/src/main.rs: the clap definition (global flags with
env fallbacks, BoolishValueParser for --allow-nan/--allow-inf, u32 for
--threads, usize for --small-mask-threshold), usage errors exit 2, runtime
errors print "error: ..." and exit 1.

$ cli_helper gen params params.tgm

Version and help.
$ tensogram --version
> tensogram [0-9]+\.[0-9]+\.[0-9]+ (re)
$ tensogram -V | cut -d' ' -f1
> tensogram
$ tensogram --help | head -3
> Tensogram message format CLI
>
> Usage: tensogram [OPTIONS] <COMMAND>
$ tensogram help ls | head -3
> List metadata from messages in tabular format
>
> Usage: tensogram ls [OPTIONS] [FILES]...
$ tensogram ls --help | grep -c 'Examples:'
> 1
$ for c in info ls dump get set copy merge split reshuffle validate doctor; do tensogram $c -h | grep -q "^Usage: tensogram $c" || echo "no help for $c"; done

No command, unknown command.
$ tensogram 2>&1 | head -1
> error: 'tensogram' requires a subcommand but one was not provided
$ tensogram 2>/dev/null; echo "status $?"
> status 2
$ tensogram frobnicate
! error: unrecognized subcommand 'frobnicate' (see 'tensogram --help')
[exit 2]
$ tensogram help frobnicate
! error: unrecognized subcommand 'frobnicate' (see 'tensogram --help')
[exit 2]
$ tensogram --bogus ls
! error: unexpected argument '--bogus' found (see 'tensogram --help')
[exit 2]

--threads: before or after the command, '=' or separate value, env fallback.
$ tensogram --threads 4 ls params.tgm
> version
> 3
> 3
> 3
$ tensogram ls --threads=2 params.tgm -p mars.param
> mars.param
> 2t
> msl
> 10u
$ tensogram --threads abc ls params.tgm
! error: invalid value 'abc' for '--threads <THREADS>': expected an integer from 0 to 4294967295 (see 'tensogram --help')
[exit 2]
$ tensogram --threads -1 ls params.tgm
! error: invalid value '-1' for '--threads <THREADS>': expected an integer from 0 to 4294967295 (see 'tensogram --help')
[exit 2]
$ tensogram --threads 4294967296 ls params.tgm
! error: invalid value '4294967296' for '--threads <THREADS>': expected an integer from 0 to 4294967295 (see 'tensogram --help')
[exit 2]
$ tensogram ls params.tgm --threads
! error: a value is required for '--threads <THREADS>' but none was supplied (see 'tensogram ls --help')
[exit 2]
$ tensogram --threads 1 --threads 2 ls params.tgm
! error: the argument '--threads' cannot be used multiple times (see 'tensogram --help')
[exit 2]
$ TENSOGRAM_THREADS=4 tensogram copy params.tgm t4.tgm && cmp params.tgm t4.tgm && echo identical
> identical
$ TENSOGRAM_THREADS=2 tensogram --threads 8 copy params.tgm t8.tgm && echo ok
> ok

An unusable TENSOGRAM_THREADS is rejected before anything is written
(reference test threads_env.rs: invalid_env_var_is_rejected).
$ TENSOGRAM_THREADS=not-a-number tensogram copy params.tgm bad.tgm
! error: invalid value 'not-a-number' for '--threads <THREADS>' (from TENSOGRAM_THREADS): expected an integer from 0 to 4294967295 (see 'tensogram copy --help')
[exit 2]
$ test -e bad.tgm || echo "no output file"
> no output file
$ TENSOGRAM_THREADS= tensogram ls params.tgm -p mars.step
> mars.step
> 0
> 6
> 0

--allow-nan / --allow-inf: bare flag, =BOOL only, boolish values, env.
$ tensogram --allow-nan --allow-inf=false --allow-inf ls params.tgm
! error: the argument '--allow-inf' cannot be used multiple times (see 'tensogram --help')
[exit 2]
$ tensogram --allow-nan=maybe ls params.tgm
! error: invalid value 'maybe' for '--allow-nan <ALLOW_NAN>': expected one of true, false, yes, no, on, off, 1, 0 (see 'tensogram --help')
[exit 2]
$ tensogram --allow-nan=YES --allow-inf=off ls params.tgm | head -1
> version
$ tensogram --allow-nan false ls params.tgm
! error: unrecognized subcommand 'false' (see 'tensogram --help')
[exit 2]
$ TENSOGRAM_ALLOW_NAN=sometimes tensogram ls params.tgm
! error: invalid value 'sometimes' for '--allow-nan <ALLOW_NAN>' (from TENSOGRAM_ALLOW_NAN): expected one of true, false, yes, no, on, off, 1, 0 (see 'tensogram ls --help')
[exit 2]
$ TENSOGRAM_ALLOW_INF=1 tensogram ls params.tgm | tail -1
> 3

--small-mask-threshold and the mask methods.
$ tensogram --small-mask-threshold=-3 ls params.tgm
! error: invalid value '-3' for '--small-mask-threshold <SMALL_MASK_THRESHOLD>': expected a non-negative integer (see 'tensogram --help')
[exit 2]
$ TENSOGRAM_SMALL_MASK_THRESHOLD=lots tensogram ls params.tgm
! error: invalid value 'lots' for '--small-mask-threshold <SMALL_MASK_THRESHOLD>' (from TENSOGRAM_SMALL_MASK_THRESHOLD): expected a non-negative integer (see 'tensogram ls --help')
[exit 2]
$ tensogram --small-mask-threshold 0 --nan-mask-method zstd --pos-inf-mask-method rle --neg-inf-mask-method none ls params.tgm | head -1
> version

Unknown mask methods are reported by the commands that encode
(reference test allow_nan_inf_cli.rs: unknown_nan_mask_method_fails_cleanly).
$ tensogram --nan-mask-method=bogus ls params.tgm | head -1
> version
$ tensogram --allow-nan --nan-mask-method=bogus reshuffle -o out.tgm params.tgm
! error: invalid value 'bogus' for '--nan-mask-method': unknown mask method; expected one of none, rle, roaring, lz4, zstd, blosc2
[exit 1]
$ TENSOGRAM_NEG_INF_MASK_METHOD=zip tensogram merge params.tgm -o out.tgm
! error: invalid value 'zip' for '--neg-inf-mask-method': unknown mask method; expected one of none, rle, roaring, lz4, zstd, blosc2
[exit 1]
$ test -e out.tgm || echo "no output file"
> no output file

Subcommand option parsing (clap forms).
$ tensogram ls -pmars.param -w=mars.type=an params.tgm
> mars.param
> 10u
$ tensogram ls -jp mars.param params.tgm | head -3
> {
>   "mars.param": "2t"
> }
$ tensogram ls -w a=b -w c=d params.tgm
! error: the argument '-w <WHERE_CLAUSE>' cannot be used multiple times (see 'tensogram ls --help')
[exit 2]
$ tensogram ls -q params.tgm
! error: unexpected argument '-q' found (see 'tensogram ls --help')
[exit 2]
$ tensogram ls -p
! error: a value is required for '-p <KEYS>' but none was supplied (see 'tensogram ls --help')
[exit 2]
$ tensogram merge --output=m.tgm --strategy=last params.tgm > /dev/null && tensogram ls -p mars.param m.tgm
> mars.param
> 2t
$ tensogram validate --json=yes params.tgm
! error: unexpected value 'yes' for '--json' found (see 'tensogram validate --help')
[exit 2]
$ tensogram ls -- -p
> version
! error: cannot open '-p': No such file or directory
[exit 1]
