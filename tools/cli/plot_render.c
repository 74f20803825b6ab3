/* plot_render.c - rasterising a field, its colour bar and title; PNG output. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"

#ifdef TGM_HAVE_PNG
#include <png.h>
#endif

/* ---- colour map ------------------------------------------------------------------ */

/* viridis (van der Walt and Smith, 2015; CC0) at t = i / 32, as 8-bit sRGB. */
static const uint8_t viridis33[33][3] = {
    {68, 1, 84},    {71, 13, 96},   {72, 24, 106},  {72, 35, 116},  {71, 45, 123},  {69, 55, 129},
    {66, 64, 134},  {62, 73, 137},  {59, 82, 139},  {55, 91, 141},  {51, 99, 141},  {47, 107, 142},
    {44, 114, 142}, {41, 122, 142}, {38, 130, 142}, {35, 137, 142}, {33, 145, 140}, {31, 152, 139},
    {31, 160, 136}, {34, 167, 133}, {40, 174, 128}, {50, 182, 122}, {63, 188, 115}, {78, 195, 107},
    {94, 201, 98},  {112, 207, 87}, {132, 212, 75}, {152, 216, 62}, {173, 220, 48}, {194, 223, 35},
    {216, 226, 25}, {236, 229, 27}, {253, 231, 37},
};

void plot_colour(double t, uint8_t rgb[3]) {
    if (!(t > 0)) {
        t = 0; /* also NaN: callers draw NaN themselves */
    } else if (t > 1) {
        t = 1;
    }
    double x = t * 32.0;
    int i = (int)x;
    if (i >= 32) {
        i = 31;
    }
    double f = x - i;
    for (int c = 0; c < 3; c++) {
        double v = viridis33[i][c] * (1.0 - f) + viridis33[i + 1][c] * f;
        rgb[c] = (uint8_t)(v + 0.5);
    }
}

/* ---- font ------------------------------------------------------------------------- */

/* 5x7 glyphs of printable ASCII (32..126): 7 rows, bit 4 = leftmost column.
 * g, p, q and y are drawn two rows lower (their last two rows descend below
 * the line), so a text line is 9 rows high. */
static const uint8_t font5x7[95][7] = {
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, {0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04},
    {0x0A, 0x0A, 0x0A, 0x00, 0x00, 0x00, 0x00}, {0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A},
    {0x04, 0x0F, 0x14, 0x0E, 0x05, 0x1E, 0x04}, {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03},
    {0x0C, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0D}, {0x0C, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00},
    {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}, {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08},
    {0x00, 0x04, 0x15, 0x0E, 0x15, 0x04, 0x00}, {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00},
    {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08}, {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00},
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}, {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00},
    {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}, {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E},
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}, {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E},
    {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}, {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E},
    {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}, {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},
    {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}, {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C},
    {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}, {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x04, 0x08},
    {0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02}, {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00},
    {0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08}, {0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04},
    {0x0E, 0x11, 0x01, 0x0D, 0x15, 0x15, 0x0E}, {0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11},
    {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}, {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E},
    {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}, {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F},
    {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}, {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F},
    {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}, {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E},
    {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}, {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11},
    {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}, {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11},
    {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}, {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},
    {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}, {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D},
    {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}, {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E},
    {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}, {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}, {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A},
    {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}, {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04},
    {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}, {0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E},
    {0x00, 0x10, 0x08, 0x04, 0x02, 0x01, 0x00}, {0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E},
    {0x04, 0x0A, 0x11, 0x00, 0x00, 0x00, 0x00}, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F},
    {0x08, 0x04, 0x02, 0x00, 0x00, 0x00, 0x00}, {0x00, 0x00, 0x0E, 0x01, 0x0F, 0x11, 0x0F},
    {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1E}, {0x00, 0x00, 0x0E, 0x10, 0x10, 0x11, 0x0E},
    {0x01, 0x01, 0x0D, 0x13, 0x11, 0x11, 0x0F}, {0x00, 0x00, 0x0E, 0x11, 0x1F, 0x10, 0x0E},
    {0x06, 0x09, 0x08, 0x1C, 0x08, 0x08, 0x08}, {0x0F, 0x11, 0x11, 0x11, 0x0F, 0x01, 0x0E},
    {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11}, {0x04, 0x00, 0x0C, 0x04, 0x04, 0x04, 0x0E},
    {0x02, 0x00, 0x06, 0x02, 0x02, 0x12, 0x0C}, {0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12},
    {0x0C, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}, {0x00, 0x00, 0x1A, 0x15, 0x15, 0x11, 0x11},
    {0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11}, {0x00, 0x00, 0x0E, 0x11, 0x11, 0x11, 0x0E},
    {0x1E, 0x11, 0x11, 0x11, 0x1E, 0x10, 0x10}, {0x0F, 0x11, 0x11, 0x11, 0x0F, 0x01, 0x01},
    {0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10}, {0x00, 0x00, 0x0E, 0x10, 0x0E, 0x01, 0x1E},
    {0x08, 0x08, 0x1C, 0x08, 0x08, 0x09, 0x06}, {0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0D},
    {0x00, 0x00, 0x11, 0x11, 0x11, 0x0A, 0x04}, {0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0A},
    {0x00, 0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11}, {0x11, 0x11, 0x11, 0x11, 0x0F, 0x01, 0x0E},
    {0x00, 0x00, 0x1F, 0x02, 0x04, 0x08, 0x1F}, {0x02, 0x04, 0x04, 0x08, 0x04, 0x04, 0x02},
    {0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}, {0x08, 0x04, 0x04, 0x02, 0x04, 0x04, 0x08},
    {0x00, 0x00, 0x08, 0x15, 0x02, 0x00, 0x00},
};

enum { GLYPH_W = 5, GLYPH_H = 7, LINE_H = 9, GLYPH_ADVANCE = 6 };

static unsigned text_width(const char *s, unsigned scale) {
    return s == NULL ? 0 : (unsigned)strlen(s) * GLYPH_ADVANCE * scale;
}

static void put_pixel(plot_image *img, unsigned x, unsigned y, const uint8_t rgb[3]) {
    if (x < img->width && y < img->height) {
        memcpy(img->rgb + ((size_t)y * img->width + x) * 3, rgb, 3);
    }
}

static void draw_text(plot_image *img, unsigned x, unsigned y, const char *s, unsigned scale) {
    static const uint8_t ink[3] = {0, 0, 0};
    for (; s != NULL && *s; s++, x += GLYPH_ADVANCE * scale) {
        unsigned char c = (unsigned char)*s;
        const uint8_t *g = font5x7[(c >= 32 && c < 127) ? c - 32 : '?' - 32];
        unsigned drop = (c == 'g' || c == 'p' || c == 'q' || c == 'y') ? 2 : 0;
        for (unsigned r = 0; r < GLYPH_H; r++) {
            for (unsigned col = 0; col < GLYPH_W; col++) {
                if (!(g[r] & (0x10u >> col))) {
                    continue;
                }
                for (unsigned dy = 0; dy < scale; dy++) {
                    for (unsigned dx = 0; dx < scale; dx++) {
                        put_pixel(img, x + col * scale + dx, y + (r + drop) * scale + dy, ink);
                    }
                }
            }
        }
    }
}

static void frame(plot_image *img, unsigned x, unsigned y, unsigned w, unsigned h) {
    static const uint8_t ink[3] = {0, 0, 0};
    for (unsigned i = 0; i < w + 2; i++) {
        put_pixel(img, x - 1 + i, y - 1, ink);
        put_pixel(img, x - 1 + i, y + h, ink);
    }
    for (unsigned j = 0; j < h + 2; j++) {
        put_pixel(img, x - 1, y - 1 + j, ink);
        put_pixel(img, x + w, y - 1 + j, ink);
    }
}

/* ---- layout ------------------------------------------------------------------------ */

enum {
    MARGIN = 12,
    TITLE_SCALE = 2,
    SUB_SCALE = 1,
    BAR_GAP = 16,
    BAR_W = 18,
    LABEL_GAP = 6,
    MAX_SIDE = 16384 /* pixels: larger pictures are refused */
};

static void format_value(double v, char *buf, size_t n) { snprintf(buf, n, "%.6g", v); }

bool plot_render(const plot_field *f, plot_image *out) {
    memset(out, 0, sizeof *out);
    if (f->rows == 0 || f->cols == 0) {
        cli_error("nothing to draw: the field has no values");
        return false;
    }
    /* value range over the finite values */
    size_t n = f->rows * f->cols;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double v = f->values[i];
        if (isnan(v)) {
            out->nan_count++;
        } else if (isfinite(v)) {
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    }
    if (lo > hi) {
        lo = hi = 0; /* nothing finite */
    }
    out->vmin = lo;
    out->vmax = hi;

    /* the field's area: as large as the bounds allow, whole-pixel
     * magnification for small fields, nearest-neighbour reduction for large */
    double sx = (double)f->max_width / (double)f->cols;
    double sy = (double)f->max_height / (double)f->rows;
    double s = sx < sy ? sx : sy;
    if (s >= 1) {
        s = floor(s);
    }
    unsigned map_w = (unsigned)fmax(1, floor(f->cols * s + 0.5));
    unsigned map_h = (unsigned)fmax(1, floor(f->rows * s + 0.5));

    char smin[32], smax[32];
    format_value(lo, smin, sizeof smin);
    format_value(hi, smax, sizeof smax);
    unsigned label_w = text_width(smin, SUB_SCALE);
    unsigned w2 = text_width(smax, SUB_SCALE), w3 = text_width(f->units, SUB_SCALE);
    label_w = label_w > w2 ? label_w : w2;
    label_w = label_w > w3 ? label_w : w3;
    unsigned title_h = LINE_H * TITLE_SCALE + 6;
    unsigned sub_h = f->subtitle ? LINE_H * SUB_SCALE + 6 : 0;
    unsigned width = MARGIN + map_w + BAR_GAP + BAR_W + LABEL_GAP + label_w + MARGIN;
    unsigned tw = MARGIN + text_width(f->title, TITLE_SCALE) + MARGIN;
    unsigned sw = MARGIN + text_width(f->subtitle, SUB_SCALE) + MARGIN;
    width = width > tw ? width : tw;
    width = width > sw ? width : sw;
    unsigned height = MARGIN + title_h + sub_h + map_h + MARGIN + 2;
    if (width > MAX_SIDE || height > MAX_SIDE) {
        cli_error("picture of %ux%u pixels is too large (at most %u per side)", width, height,
                  (unsigned)MAX_SIDE);
        return false;
    }
    out->rgb = malloc((size_t)width * height * 3);
    if (out->rgb == NULL) {
        cli_error("out of memory for a %ux%u picture", width, height);
        return false;
    }
    memset(out->rgb, 255, (size_t)width * height * 3);
    out->width = width;
    out->height = height;
    out->map_x = MARGIN;
    out->map_y = MARGIN + title_h + sub_h;
    out->map_w = map_w;
    out->map_h = map_h;

    draw_text(out, MARGIN, MARGIN, f->title, TITLE_SCALE);
    if (f->subtitle) {
        draw_text(out, MARGIN, MARGIN + title_h, f->subtitle, SUB_SCALE);
    }

    /* the field */
    static const uint8_t nan_rgb[3] = {PLOT_NAN_R, PLOT_NAN_G, PLOT_NAN_B};
    double span = hi - lo;
    for (unsigned y = 0; y < map_h; y++) {
        size_t r = (size_t)((y + 0.5) * f->rows / map_h);
        r = r >= f->rows ? f->rows - 1 : r;
        if (f->flip_rows) {
            r = f->rows - 1 - r;
        }
        for (unsigned x = 0; x < map_w; x++) {
            size_t c = (size_t)((x + 0.5) * f->cols / map_w);
            c = c >= f->cols ? f->cols - 1 : c;
            double v = f->values[r * f->cols + c];
            uint8_t rgb[3];
            if (isnan(v)) {
                memcpy(rgb, nan_rgb, 3);
            } else {
                plot_colour(span > 0 ? (v - lo) / span : 0.5, rgb);
            }
            put_pixel(out, out->map_x + x, out->map_y + y, rgb);
        }
    }
    frame(out, out->map_x, out->map_y, map_w, map_h);

    /* colour bar: maximum at the top */
    unsigned bx = out->map_x + map_w + BAR_GAP, by = out->map_y;
    for (unsigned y = 0; y < map_h; y++) {
        uint8_t rgb[3];
        plot_colour(map_h > 1 ? 1.0 - (double)y / (map_h - 1) : 0.5, rgb);
        for (unsigned x = 0; x < BAR_W; x++) {
            put_pixel(out, bx + x, by + y, rgb);
        }
    }
    frame(out, bx, by, BAR_W, map_h);
    unsigned lx = bx + BAR_W + LABEL_GAP;
    draw_text(out, lx, by, smax, SUB_SCALE);
    if (f->units) {
        draw_text(out, lx, by + map_h / 2 - GLYPH_H / 2, f->units, SUB_SCALE);
    }
    draw_text(out, lx, by + map_h - GLYPH_H * SUB_SCALE, smin, SUB_SCALE);
    return true;
}

void plot_free(plot_image *img) {
    free(img->rgb);
    img->rgb = NULL;
}

/* ---- PNG ------------------------------------------------------------------------- */

#ifdef TGM_HAVE_PNG
typedef struct {
    uint8_t *data;
    size_t len, cap;
    bool oom;
} png_sink;

static void sink_write(png_structp png, png_bytep data, png_size_t n) {
    png_sink *s = png_get_io_ptr(png);
    if (s->oom) {
        return;
    }
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 65536;
        while (cap < s->len + n) {
            cap *= 2;
        }
        uint8_t *p = realloc(s->data, cap);
        if (p == NULL) {
            s->oom = true;
            return;
        }
        s->data = p;
        s->cap = cap;
    }
    memcpy(s->data + s->len, data, n);
    s->len += n;
}

static void sink_flush(png_structp png) { (void)png; }

bool plot_png(const plot_image *img, uint8_t **out, size_t *out_len) {
    png_sink sink = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
    png_bytep *rows = NULL;
    if (png == NULL || info == NULL) {
        png_destroy_write_struct(&png, NULL);
        cli_error("libpng: cannot create a writer");
        return false;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(rows);
        free(sink.data);
        cli_error("libpng failed to write the picture");
        return false;
    }
    rows = malloc(sizeof *rows * img->height);
    if (rows == NULL) {
        png_destroy_write_struct(&png, &info);
        cli_error("out of memory");
        return false;
    }
    for (unsigned y = 0; y < img->height; y++) {
        rows[y] = img->rgb + (size_t)y * img->width * 3;
    }
    png_set_write_fn(png, &sink, sink_write, sink_flush);
    png_set_IHDR(png, info, img->width, img->height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 9);
    png_text text = {0};
    text.compression = PNG_TEXT_COMPRESSION_NONE;
    text.key = (png_charp) "Software";
    text.text = (png_charp) "tensogram plot";
    png_set_text(png, info, &text, 1);
    png_set_rows(png, info, rows);
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    if (sink.oom) {
        free(sink.data);
        cli_error("out of memory while writing the PNG");
        return false;
    }
    *out = sink.data;
    *out_len = sink.len;
    return true;
}
#else
bool plot_png(const plot_image *img, uint8_t **out, size_t *out_len) {
    (void)img;
    (void)out;
    (void)out_len;
    cli_error("this tensogram was built without libpng: plot cannot write PNG files "
              "(install libpng-dev and rebuild)");
    return false;
}
#endif
