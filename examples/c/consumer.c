/* A program that uses only the public header: encode a small 2-D float32
 * field, decode it back, and print what the library reports.  Built by
 * scripts/check-install.sh against the installed library. */
#include <stdio.h>
#include <string.h>

#include <tensogram/tensogram.h>

int main(void) {
    const float values[6] = {1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f};
    const uint8_t *ptrs[1] = {(const uint8_t *)values};
    const size_t lens[1] = {sizeof values};
    const char *meta = "{\"base\":[{\"name\":\"demo\"}],"
                       "\"descriptors\":[{\"type\":\"ntensor\",\"ndim\":2,\"shape\":[2,3],"
                       "\"strides\":[3,1],\"dtype\":\"float32\",\"encoding\":\"none\","
                       "\"filter\":\"none\",\"compression\":\"none\"}]}";
    tgm_bytes_t msg = {NULL, 0};
    tgm_message_t *decoded = NULL;
    if (tgm_encode(meta, ptrs, lens, 1, "xxh3", 0, &msg) != TGM_ERROR_OK) {
        fprintf(stderr, "encode failed: %s\n", tgm_last_error());
        return 1;
    }
    if (tgm_decode(msg.data, msg.len, 1, 0, 1, &decoded) != TGM_ERROR_OK) {
        fprintf(stderr, "decode failed: %s\n", tgm_last_error());
        tgm_bytes_free(msg);
        return 1;
    }
    size_t n = 0;
    const uint8_t *data = tgm_object_data(decoded, 0, &n);
    int ok = n == sizeof values && memcmp(data, values, n) == 0 &&
             strcmp(tgm_object_dtype(decoded, 0), "float32") == 0;
    printf("tensogram %s: %zu-byte message, %s %llux%llu, round trip %s\n", tgm_version_string(),
           msg.len, tgm_object_dtype(decoded, 0),
           (unsigned long long)tgm_object_shape(decoded, 0)[0],
           (unsigned long long)tgm_object_shape(decoded, 0)[1], ok ? "OK" : "FAILED");
    tgm_message_free(decoded);
    tgm_bytes_free(msg);
    return ok ? 0 : 1;
}
