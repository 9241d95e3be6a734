#include "CLumoraImaging.h"

#include <string.h>
#include <vips/vips.h>

struct lumora_image { VipsImage *vips; };

static lumora_image *wrap(VipsImage *vips) {
    lumora_image *image = g_malloc(sizeof(lumora_image));
    image->vips = vips;
    return image;
}

int lumora_imaging_start(void) {
    if (VIPS_INIT("lumora")) return -1;
    vips_cache_set_max(0);
    // Every loader off but the four Lumora reads: uploads are JPEG, PNG or WebP (checked again
    // by content before decoding), and SVG is only the platform's own demo pictures.
    vips_operation_block_set("VipsForeignLoad", TRUE);
    vips_operation_block_set("VipsForeignLoadJpeg", FALSE);
    vips_operation_block_set("VipsForeignLoadPng", FALSE);
    vips_operation_block_set("VipsForeignLoadWebp", FALSE);
    vips_operation_block_set("VipsForeignLoadSvg", FALSE);
    return 0;
}

static int format_of_loader(const char *loader) {
    if (loader == NULL) return LUMORA_FORMAT_UNKNOWN;
    if (strcmp(loader, "VipsForeignLoadJpegBuffer") == 0) return LUMORA_FORMAT_JPEG;
    if (strcmp(loader, "VipsForeignLoadPngBuffer") == 0) return LUMORA_FORMAT_PNG;
    if (strcmp(loader, "VipsForeignLoadWebpBuffer") == 0) return LUMORA_FORMAT_WEBP;
    return LUMORA_FORMAT_UNKNOWN;
}

int lumora_imaging_probe(const void *bytes, size_t length, lumora_image_header *header) {
    memset(header, 0, sizeof(*header));
    const char *loader = vips_foreign_find_load_buffer(bytes, length);
    vips_error_clear(); // "not a known format" is an answer here, not a failure
    header->format = format_of_loader(loader);
    if (header->format == LUMORA_FORMAT_UNKNOWN) return 0;
    // Opening reads the header only; pixels are decoded when something asks for them.
    VipsImage *image = vips_image_new_from_buffer(bytes, length, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (image == NULL) return -1;
    header->width = vips_image_get_width(image);
    header->height = vips_image_get_height(image);
    header->orientation = vips_image_get_orientation(image);
    header->has_alpha = vips_image_hasalpha(image);
    g_object_unref(image);
    return 0;
}

/// Drops every metadata field (EXIF with GPS, XMP, IPTC, ICC, comments, orientation): savers'
/// "strip" leaves some behind (WebP kept the EXIF chunk), so nothing is left to strip.
static void remove_metadata(VipsImage *image) {
    gchar **fields = vips_image_get_fields(image);
    for (int i = 0; fields[i] != NULL; i++) {
        // The header's own fields (width, bands, …) cannot be removed; everything else goes.
        vips_image_remove(image, fields[i]);
    }
    g_strfreev(fields);
}

static int materialise(VipsImage *lazy, lumora_image **out) {
    VipsImage *memory = vips_image_copy_memory(lazy);
    g_object_unref(lazy);
    if (memory == NULL) return -1;
    remove_metadata(memory);
    *out = wrap(memory);
    return 0;
}

int lumora_imaging_thumbnail(const void *bytes, size_t length, int width, lumora_image **out) {
    VipsImage *thumbnail = NULL;
    // vips_thumbnail_buffer takes a non-const pointer but only reads it.
    if (vips_thumbnail_buffer((void *)bytes, length, &thumbnail, width, "height", VIPS_MAX_COORD,
                              "size", VIPS_SIZE_DOWN, "fail_on", VIPS_FAIL_ON_ERROR, NULL)) return -1;
    return materialise(thumbnail, out);
}

int lumora_imaging_shrink(lumora_image *image, int width, lumora_image **out) {
    VipsImage *thumbnail = NULL;
    if (vips_thumbnail_image(image->vips, &thumbnail, width, "height", VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN, NULL)) return -1;
    return materialise(thumbnail, out);
}

int lumora_imaging_width(lumora_image *image) { return vips_image_get_width(image->vips); }
int lumora_imaging_height(lumora_image *image) { return vips_image_get_height(image->vips); }

int lumora_imaging_save(lumora_image *image, int format, int quality, void **out, size_t *out_length) {
    switch (format) {
    case LUMORA_FORMAT_JPEG: {
        // JPEG has no alpha: flatten onto white rather than black.
        VipsImage *flat = image->vips;
        int flattened = 0;
        if (vips_image_hasalpha(image->vips)) {
            VipsArrayDouble *white = vips_array_double_newv(3, 255.0, 255.0, 255.0);
            int failed = vips_flatten(image->vips, &flat, "background", white, NULL);
            vips_area_unref(VIPS_AREA(white));
            if (failed) return -1;
            flattened = 1;
        }
        int failed = vips_jpegsave_buffer(flat, out, out_length, "Q", quality, "strip", TRUE,
                                          "optimize_coding", TRUE, "interlace", TRUE, NULL);
        if (flattened) g_object_unref(flat);
        return failed ? -1 : 0;
    }
    case LUMORA_FORMAT_PNG:
        return vips_pngsave_buffer(image->vips, out, out_length, "strip", TRUE, "compression", 6, NULL) ? -1 : 0;
    case LUMORA_FORMAT_WEBP:
        return vips_webpsave_buffer(image->vips, out, out_length, "Q", quality, "strip", TRUE, NULL) ? -1 : 0;
    default:
        vips_error("lumora", "unknown output format %d", format);
        return -1;
    }
}

int lumora_imaging_render_svg(const void *svg, size_t length, lumora_image **out) {
    VipsImage *image = NULL;
    if (vips_svgload_buffer((void *)svg, length, &image, NULL)) return -1;
    return materialise(image, out);
}

void lumora_imaging_release(lumora_image *image) {
    if (image == NULL) return;
    g_object_unref(image->vips);
    g_free(image);
}

void lumora_imaging_free(void *bytes) { g_free(bytes); }

void lumora_imaging_error(char *buffer, size_t capacity) {
    if (capacity == 0) return;
    const char *message = vips_error_buffer();
    size_t length = message ? strlen(message) : 0;
    if (length >= capacity) length = capacity - 1;
    if (length > 0) memcpy(buffer, message, length);
    buffer[length] = '\0';
    vips_error_clear();
}
