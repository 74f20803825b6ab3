tensogram plot: quick-look PNG pictures (our addition; the reference has no
plot command).  Pixel colours are checked by python/tests/test_plot.py; here
the command line, the summary line and the errors.  grid.tgm: latitude (6,
south first), longitude (12), 2t (6 x 12, NaN block, units K), cube (3 x 6 x
12 int16, slice k holds k).

$ cli_helper gen grid grid.tgm
$ tensogram plot grid.tgm --object 2 -o g.png --width 120 --height 120
> g.png: [0-9]+x[0-9]+, field 120x60 at \(12,[0-9]+\)  2t  20260401 1200  step 6  min 250  max 311 K  \(missing values drawn grey\) (re)
$ head -c 8 g.png | od -An -tx1
>  89 50 4e 47 0d 0a 1a 0a
$ tensogram plot grid.tgm --object 3 --index 2 -o c.png
> c.png: [0-9]+x[0-9]+, field [0-9]+x[0-9]+ at \([0-9]+,[0-9]+\)  cube  min 2  max 2 (re)
$ tensogram plot grid.tgm --object 2 --width 24 --height 24
> grid_m0_o2.png: [0-9]+x[0-9]+, field 24x12 at .* (re)
$ tensogram plot grid.tgm --object 2 -o - | head -c 4 | od -An -c
>  211   P   N   G

Errors
$ tensogram plot grid.tgm --object 0 -o x.png
! error: 'grid.tgm' message 0 object 0 has 1 dimension(s); plot draws 2-D fields (or 2-D slices of N-D ones)
[exit 1]
$ tensogram plot grid.tgm -m 3
! error: message 3 out of range: 'grid.tgm' has 1 message(s)
[exit 1]
$ tensogram plot grid.tgm --object 9
! error: object 9 out of range: message 0 of 'grid.tgm' has 4 object(s)
[exit 1]
$ tensogram plot grid.tgm --object 3 --index 5
! error: --index position 0 is 5 but axis 0 has 3 values
[exit 1]
$ tensogram plot grid.tgm --object 2 --index 1
! error: --index has 1 position(s) but the object has 0 leading axis/axes
[exit 1]
$ tensogram plot missing.tgm
! error: .*missing.tgm.* (re)
[exit 1]
$ tensogram plot grid.tgm --width x
! error: invalid value 'x' for '--width': expected a non-negative integer (see 'tensogram plot --help')
[exit 2]
$ ls x.png 2>&1 | grep -c 'No such'
> 1
