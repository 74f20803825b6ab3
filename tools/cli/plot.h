/* plot.h - quick-look pictures of 2-D fields (tensogram plot).
 *
 * plot_render.c draws a field into an RGB canvas: the field (nearest
 * neighbour, north up when the caller says so), a colour bar with the
 * minimum, maximum and units, and one or two lines of title, in a built-in
 * 5x7 bitmap font; then writes the canvas as an 8-bit RGB PNG with libpng.
 * The colour map is perceptually uniform (viridis: 33 samples of the
 * published table, linearly interpolated; within 3/255 of the 256-entry
 * table).  NaN is drawn in PLOT_NAN_RGB, a grey no value of the map has. */
#ifndef TGM_CLI_PLOT_H
#define TGM_CLI_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

#define PLOT_NAN_R 190
#define PLOT_NAN_G 190
#define PLOT_NAN_B 190

typedef struct {
    const double *values; /* rows x cols, row-major; NaN = missing */
    size_t rows, cols;
    bool flip_rows;                 /* draw the last row at the top */
    const char *title;              /* first line (large) */
    const char *subtitle;           /* second line (small), may be NULL */
    const char *units;              /* next to the colour bar, may be NULL */
    unsigned max_width, max_height; /* bounds of the field's area in pixels */
} plot_field;

typedef struct {
    uint8_t *rgb; /* width * height * 3 */
    unsigned width, height;
    double vmin, vmax;                   /* over the finite values (0, 0 when none) */
    size_t nan_count;                    /* values drawn as missing */
    unsigned map_x, map_y, map_w, map_h; /* where the field is */
} plot_image;

/* The colour of t in [0, 1] (clamped). */
void plot_colour(double t, uint8_t rgb[3]);

/* Draw the field.  Returns false (after printing the error) when the
 * picture would be too large or memory runs out.  Free with plot_free. */
bool plot_render(const plot_field *f, plot_image *out);
void plot_free(plot_image *img);

/* The image as PNG bytes into *out (malloc'd).  False when libpng is not
 * built in or fails (the error printed). */
bool plot_png(const plot_image *img, uint8_t **out, size_t *out_len);

#endif
