/* What libcurl alone reaches: sends one pre-rendered message COUNT times over one reused SMTP
 * connection, the way Kobling's lanes use libcurl, with nothing else per message (no database,
 * no rendering). scripts/bench-mail runs one per connection beside Kobling and smtp-source.
 *
 *   curl_send smtp://127.0.0.1:PORT MESSAGE.eml COUNT
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct source {
    const char *data;
    size_t length, offset;
};

static size_t read_body(char *buffer, size_t size, size_t count, void *context) {
    struct source *source = context;
    size_t amount = size * count;
    if (amount > source->length - source->offset) amount = source->length - source->offset;
    memcpy(buffer, source->data + source->offset, amount);
    source->offset += amount;
    return amount;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: curl_send URL MESSAGE COUNT\n");
        return 2;
    }
    FILE *file = fopen(argv[2], "rb");
    if (!file) { perror(argv[2]); return 1; }
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    rewind(file);
    char *data = malloc(length);
    if (fread(data, 1, length, file) != (size_t)length) { perror("read"); return 1; }
    fclose(file);

    CURL *handle = curl_easy_init();
    struct curl_slist *recipients = curl_slist_append(NULL, "<reader@example.dk>");
    curl_easy_setopt(handle, CURLOPT_URL, argv[1]);
    curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_MAIL_FROM, "<nyhedsbrev@kobling.test>");
    curl_easy_setopt(handle, CURLOPT_MAIL_RCPT, recipients);
    curl_easy_setopt(handle, CURLOPT_READFUNCTION, read_body);
    for (int i = 0, count = atoi(argv[3]); i < count; i++) {
        struct source source = {data, (size_t)length, 0};
        curl_easy_setopt(handle, CURLOPT_READDATA, &source);
        curl_easy_setopt(handle, CURLOPT_INFILESIZE_LARGE, (curl_off_t)length);
        CURLcode result = curl_easy_perform(handle);
        if (result != CURLE_OK) {
            fprintf(stderr, "message %d: %s\n", i, curl_easy_strerror(result));
            return 1;
        }
    }
    curl_slist_free_all(recipients);
    curl_easy_cleanup(handle);
    free(data);
    return 0;
}
