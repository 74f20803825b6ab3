tensogram doctor.
Follows tensogram-cli/src/commands/doctor.rs: the human report has the
sections "Build" (labels padded to 22 columns), "Compiled-in features"
("on  (backend LINKAGE version)" or "off"; FFI / pure-Rust for the linkage
names ffi / pure-rust) and "Self-test" (labels padded to 42 columns; ok,
"FAILED  (error)" or "skipped (reason)"), then "Status: HEALTHY" or
"UNHEALTHY"; the CLI adds the grib / netcdf features and the three converter
self-tests from libtensogram_convert (tgm_convert_doctor_to_json: "on" with
the ecCodes / netCDF-C version when the backend is built, else "off" and the
self-tests skipped); --json prints the report with the same additions.  The
other rows are the library's (tgm_doctor_to_json).
Difference: a label that fills its column is still followed by a space.

$ tensogram doctor | head -6
> tensogram doctor
> ================
>
> Build
>   tensogram             [0-9]+\.[0-9]+\.[0-9]+ (re)
>   wire-format           3
$ tensogram doctor | grep -E '^(Build|Compiled-in features|Self-test|Status: .*)$'
> Build
> Compiled-in features
> Self-test
> Status: HEALTHY
$ tensogram doctor | grep -E '^  (grib|netcdf) '
>   grib                  (off|on  \(libeccodes FFI [0-9]+\.[0-9]+\.[0-9]+\)) (re)
>   netcdf                (off|on  \(libnetcdf FFI [0-9]+\.[0-9]+\.[0-9]+\)) (re)
$ tensogram doctor | grep -E '^  (zstd|szip|lz4|blosc2|zfp) '
>   szip                  on  \(.+ [0-9][^ ]*\) (re)
>   zstd                  on  \(.+ [0-9][^ ]*\) (re)
>   lz4                   on  \(.+ [0-9][^ ]*\) (re)
>   blosc2                on  \(.+ [0-9][^ ]*\) (re)
>   zfp                   on  \(.+\) (re)
$ tensogram doctor | grep -E '^  (encode/decode|convert) '
>   encode/decode  none/none/none             ok
>   convert        grib    \(sanity.grib2\)     (ok|skipped \(feature 'grib' not built in\)) (re)
>   convert        netcdf3 \(sanity-classic.nc\) (ok|skipped \(feature 'netcdf' not built in\)) (re)
>   convert        netcdf4 \(sanity-hdf5.nc\)   (ok|skipped \(feature 'netcdf' not built in\)) (re)
$ tensogram doctor | tail -1
> Status: HEALTHY
$ tensogram doctor --json | grep -c -E '"(build|features|self_test)": '
> 3
$ tensogram doctor --json | grep -A2 '"name": "grib"'
>       "name": "grib",
>       "kind": "converter",
>       "state": "(on|off)",? (re)
$ tensogram doctor --json | grep -A1 'sanity-classic'
>       "label": "convert        netcdf3 (sanity-classic.nc)",
>       "outcome": "(ok|skipped)",? (re)
$ tensogram doctor --json | head -3
> {
>   "build": {
>     "version": "[0-9.]+", (re)
$ tensogram doctor extra
! error: unexpected argument 'extra' found (see 'tensogram doctor --help')
[exit 2]
