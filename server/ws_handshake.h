/*
 * ws_handshake.h - the RFC 6455 opening handshake checks and the
 * Sec-WebSocket-Accept value (base64(SHA-1(key + GUID))).
 */
#ifndef CHRONICLE_WS_HANDSHAKE_H
#define CHRONICLE_WS_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

/* SHA-1 of data[0..len) into out[20] (FIPS 180-4).  Used only for the
 * handshake, where RFC 6455 mandates it; not for anything secret. */
void sha1_digest(const void *data, size_t len, uint8_t out[20]);

/* Writes the 28-character accept value and a NUL into out[29].  Returns -1
 * if key is not the base64 encoding of 16 bytes (RFC 6455 4.2.1 item 5). */
int ws_accept_key(const char *key, char out[29]);

/* 1 if a comma-separated header value (Connection, Upgrade) holds token,
 * case-insensitively. */
int ws_header_has_token(const char *value, const char *token);

#endif
