#ifndef CLUMORA_IMAGING_H
#define CLUMORA_IMAGING_H

#include <stddef.h>

/// The libvips calls Lumora makes, without varargs (which Swift cannot call). Every function
/// returns 0 on success; on failure -1 and libvips's message through lumora_imaging_error.

typedef struct lumora_image lumora_image;

enum lumora_image_format { LUMORA_FORMAT_UNKNOWN = 0, LUMORA_FORMAT_JPEG = 1, LUMORA_FORMAT_PNG = 2, LUMORA_FORMAT_WEBP = 3 };

typedef struct {
    int format;        // lumora_image_format: what the bytes are, by their content
    int width;         // as stored, before EXIF orientation
    int height;
    int orientation;   // EXIF orientation 1-8 (1 when absent)
    int has_alpha;
} lumora_image_header;

/// Starts libvips once per process: no operation cache (uploads are never repeated), and no
/// loader but JPEG, PNG, WebP and SVG.
int lumora_imaging_start(void);

/// Reads only the header: the format found by content (JPEG, PNG, WebP; anything else is
/// LUMORA_FORMAT_UNKNOWN with 0 returned) and the dimensions. No pixel is decoded.
int lumora_imaging_probe(const void *bytes, size_t length, lumora_image_header *header);

/// Decodes, turns upright by the EXIF orientation and shrinks to at most `width` pixels wide
/// (never enlarges); the pixels are held in memory. `bytes` must outlive the call only.
int lumora_imaging_thumbnail(const void *bytes, size_t length, int width, lumora_image **out);

/// A smaller copy of an image already decoded.
int lumora_imaging_shrink(lumora_image *image, int width, lumora_image **out);

int lumora_imaging_width(lumora_image *image);
int lumora_imaging_height(lumora_image *image);

/// Encodes with every piece of metadata (EXIF with GPS, XMP, IPTC, comments) left out.
/// `*out` is freed with lumora_imaging_free.
int lumora_imaging_save(lumora_image *image, int format, int quality, void **out, size_t *out_length);

/// A generated picture for demo catalogs: an SVG document rendered to pixels.
int lumora_imaging_render_svg(const void *svg, size_t length, lumora_image **out);

void lumora_imaging_release(lumora_image *image);
void lumora_imaging_free(void *bytes);

/// libvips's last messages (copied into `buffer`, NUL-terminated), then cleared.
void lumora_imaging_error(char *buffer, size_t capacity);

#endif
