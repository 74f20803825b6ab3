The converters: convert-grib, to-grib, convert-netcdf, to-netcdf,
convert-tenbin, to-tenbin (reference: convert_grib.rs, to_grib.rs,
convert_netcdf.rs, to_netcdf.rs; tenbin is ours), on the reference's inputs.
Round trips are checked with ecCodes' grib_compare and netCDF's ncdump
(libeccodes-tools, netcdf-bin).
#require ref

GRIB: one message per input file (merge_all), or one per GRIB message.
$ tensogram convert-grib $REF/grib/sanity.grib2 $REF/grib/t_600.grib2 -o s.tgm
> Converted 2 message(s) to s.tgm
$ tensogram ls -p mars.param,mars.levtype,mars.levelist,mars.grid,mars.area s.tgm
> mars.param	mars.levtype	mars.levelist	mars.grid	mars.area
> 167	sfc	N/A	regular_ll	N/A
> 130	pl	600	regular_ll	[90.0,-180.0,-90.0,179.75]
$ tensogram convert-grib $REF/grib/sanity.grib2 --split --all-keys -o a.tgm
> Converted 1 message(s) to a.tgm
$ tensogram get -p grib.vertical.typeOfLevel,grib.parameter.shortName,grib_repro.packingType a.tgm
> heightAboveGround 2t grid_simple
$ tensogram convert-grib $REF/grib/sanity.grib2 | tensogram info - | sed -n 2p
>   Messages: 1

to-grib gives the original messages back: same bytes, grib_compare agrees.
$ tensogram to-grib s.tgm -o back.grib2
> Wrote GRIB (511529 bytes) to back.grib2
$ cat $REF/grib/sanity.grib2 $REF/grib/t_600.grib2 | cmp - back.grib2 && echo same bytes
> same bytes
$ tensogram to-grib a.tgm | cmp - $REF/grib/sanity.grib2 && echo same
> same
$ tensogram to-grib a.tgm -o a.grib2 >/dev/null && grib_compare $REF/grib/sanity.grib2 a.grib2 && echo grib_compare agrees
> grib_compare agrees

Pipeline flags (the reference's PipelineArgs).
$ tensogram convert-grib $REF/grib/sanity.grib2 --encoding simple_packing --bits 16 --compression szip -o p.tgm
> Converted 1 message(s) to p.tgm
$ tensogram dump -j p.tgm | grep -E '"(sp_bits_per_value|szip_rsi|szip_block_size)"'
>       "sp_bits_per_value": 16,
>       "szip_block_size": 16,
>       "szip_rsi": 128,
$ tensogram validate --full p.tgm | tail -1
> p.tgm: OK (1 messages, 1 objects, hash verified)
$ tensogram convert-grib $REF/grib/sanity.grib2 --compression snappy -o x.tgm
! error: invalid value 'snappy' for '--compression <CODEC>'
!   [possible values: none, szip, zstd, lz4, blosc2] (see 'tensogram convert-grib --help')
[exit 2]
$ tensogram convert-grib $REF/grib/sanity.grib2 --encoding simple_packing --bits 65 -o x.tgm
! error: simple_packing failed for GRIB message: bits_per_value 65 exceeds maximum of 64. Pre-process the data or choose a different encoding (e.g. encoding="none").
[exit 1]
$ test -e x.tgm || echo no output left
> no output left

Missing points of a GRIB bitmap are NaN (masked); to-grib writes a bitmap.
$ tensogram convert-grib $REF/grib/lsm_bitmap.grib2 -o b.tgm
> Converted 1 message(s) to b.tgm
$ tensogram to-grib b.tgm -o b.grib2 && grib_get -p numberOfMissing,bitmapPresent b.grib2
> Wrote GRIB (234305 bytes) to b.grib2
> 679322 1

Errors.
$ tensogram convert-grib nonexistent.grib2 -o x.tgm
! error: cannot open 'nonexistent.grib2': No such file or directory
[exit 1]
$ printf 'no message here' > junk.grib2 && tensogram convert-grib junk.grib2 -o x.tgm
! error: no GRIB messages found in input
[exit 1]
$ tensogram to-grib $REF/golden/simple_f32.tgm -o x.grib2 2>&1 | sed "s#$REF#REF#"
> error: 'REF/golden/simple_f32.tgm' message 0: object 0 has no 'grib_repro' key-set; was it produced by convert-grib?
$ tensogram convert-grib
! error: the following required arguments were not provided:
!   <INPUTS>... (see 'tensogram convert-grib --help')
[exit 2]

NetCDF: split by file, variable or record; skipped variables are warnings.
$ tensogram convert-netcdf $REF/netcdf/multi_var.nc --split-by variable -o nc.tgm
> Converted 3 message(s) to nc.tgm
! warning: skipping variable 'description': Char variables are not supported
$ tensogram ls -p name,netcdf._dims nc.tgm
> name	netcdf._dims
> temperature	["y","x"]
> humidity	["y","x"]
> pressure	["y","x"]
$ tensogram convert-netcdf $REF/netcdf/unlimited_time.nc --split-by record --cf -o rec.tgm
> Converted 5 message(s) to rec.tgm
$ tensogram ls -p name,netcdf.record_index rec.tgm | head -3
> name	netcdf.record_index
> time	0
> time	1
$ tensogram convert-netcdf $REF/netcdf/simple_2d.nc --split-by record -o x.tgm 2>&1 | sed "s#$REF#REF#"
> error: --split-by=record requires an unlimited dimension, none found in REF/netcdf/simple_2d.nc
$ tensogram convert-netcdf $REF/netcdf/empty_file.nc -o x.tgm
! error: no variables found in input
[exit 1]
$ tensogram convert-netcdf $REF/netcdf/simple_2d.nc --split-by month -o x.tgm
! error: unknown --split-by value 'month'; expected file, variable, or record
[exit 1]

to-netcdf puts the records back along the unlimited dimension.
$ tensogram to-netcdf rec.tgm -o rec.nc
> Wrote NetCDF to rec.nc
$ ncdump -h rec.nc | sed -n 2,10p
> dimensions:
> 	time = UNLIMITED ; // (5 currently)
> 	y = 4 ;
> 	x = 3 ;
> variables:
> 	double time(time) ;
> 		time:units = "days since 1970-01-01" ;
> 	float temp(time, y, x) ;
> 	byte mask(y, x) ;
$ ncdump -v time rec.nc | tail -2
>  time = 18260, 18261, 18262, 18263, 18264 ;
> }
$ tensogram to-netcdf rec.tgm
! error: the following required arguments were not provided: --output <OUTPUT> (see 'tensogram to-netcdf --help')
[exit 2]

tenbin: a .ten file is one message; to-tenbin writes it back byte for byte.
$ tensogram convert-tenbin $REF/tenbin/image_and_label.ten $REF/tenbin/long_info.ten -o t.tgm
> Converted 2 message(s) to t.tgm
$ tensogram ls -p name t.tgm
> name
> image
> 12345678
$ tensogram to-tenbin t.tgm -o 'back_[index].ten'
> Wrote 2 tenbin file(s)
$ cmp back_0000.ten $REF/tenbin/image_and_label.ten && cmp back_0001.ten $REF/tenbin/long_info.ten && echo same
> same
$ tensogram convert-tenbin $REF/tenbin/nan_inf.ten -o x.tgm 2>&1 | sed 's/at element [0-9]*/at element N/'
> error: encoding error: strict-NaN check: NaN at element N of float64 array; pass allow_nan=true to substitute with 0.0 and record positions in a mask
$ tensogram convert-tenbin --allow-nan --allow-inf $REF/tenbin/nan_inf.ten | tensogram to-tenbin - | cmp - $REF/tenbin/nan_inf.ten && echo same
> same
$ printf '~TenBin~\377\377\377\377\377\377\377\177' > bad.ten && tensogram convert-tenbin bad.ten -o x.tgm
! error: tenbin: chunk at offset 0 claims 9223372036854775807 bytes but only 0 follow (truncated file, or written in the other byte order)
[exit 1]

Truncated inputs give one clear error and no output file (netCDF-C alone
would read a cut classic file's missing values as zeros).
$ head -c 100000 $REF/grib/t_600.grib2 > cut.grib2 && tensogram convert-grib cut.grib2 -o x.tgm
! error: ecCodes error: GRIB message 0 is truncated (the input ends before its end marker): End of resource reached when reading message
[exit 1]
$ head -c 200 $REF/netcdf/simple_2d.nc > cut.nc && tensogram convert-netcdf cut.nc -o x.tgm
! error: netcdf error: 'cut.nc' is truncated: the data of variable 'data' runs past its end (200 bytes)
[exit 1]
$ head -c 60 $REF/netcdf/simple_2d.nc > cuth.nc && tensogram convert-netcdf cuth.nc -o x.tgm
! error: netcdf error: 'cuth.nc' is truncated: its header runs past its end (60 bytes)
[exit 1]
$ head -c 9000 $REF/netcdf/cf_temperature.nc > cut4.nc && tensogram convert-netcdf cut4.nc -o x.tgm
! error: netcdf error: cannot open 'cut4.nc': NetCDF: HDF error (a corrupt or truncated NetCDF-4 / HDF5 file)
[exit 1]
$ head -c 150 $REF/tenbin/image_and_label.ten > cut.ten && tensogram convert-tenbin cut.ten -o x.tgm
! error: tenbin: chunk at offset 80 claims 3072 bytes but only 54 follow (truncated file)
[exit 1]
$ test -e x.tgm || echo no output left
> no output left
