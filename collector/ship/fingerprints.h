/*
 * fingerprints.h - what chronicle-ship last committed of each row of a local
 * table it mirrors (usage rows, session state), as one 64-bit FNV-1a hash
 * per row key, so that a scan ships only the rows whose hash changed.
 *
 * Used by usage_sync.c and session_sync.c: both walk a local table, collect
 * a page of changed rows (struct fp_page: their keys and new hashes), send
 * it in a PostgreSQL transaction, and after COMMIT record the page in the
 * table (fingerprints_commit_page).  Nothing here is persistent: after a
 * restart or a reconnect every row is shipped once again, which the upserts
 * make harmless.
 *
 * The table is open addressing with linear probing, kept at most half full.
 * Key 0 marks an empty slot (fp_key() never returns 0); a value of 0 means
 * "ship again" (fp_value() never returns 0 either).
 *
 * Ownership: a struct fingerprints owns its map, a struct fp_page its two
 * arrays; fingerprints_free / fp_page_free release them.  Zero-initialised
 * structs are valid empty ones.  Not thread-safe (one shipper thread).
 */
#ifndef CHRONICLE_SHIP_FINGERPRINTS_H
#define CHRONICLE_SHIP_FINGERPRINTS_H

#include <stddef.h>
#include <stdint.h>

#define FP_BASIS 14695981039346656037ULL /* FNV-1a offset basis */

uint64_t fp_mix(uint64_t h, const void *p, size_t n);
/* A string with its terminator; NULL hashes differently from "". */
uint64_t fp_mix_str(uint64_t h, const char *s);
/* h as a key or value: never 0. */
static inline uint64_t fp_nonzero(uint64_t h) { return h ? h : 1; }

struct fingerprint {
    uint64_t key, value; /* key 0: empty slot; value 0: ship again */
    uint32_t pass;       /* usage_sync: the last full walk that saw the row */
};

struct fingerprints {
    struct fingerprint *map; /* owned; cap slots, a power of two */
    size_t cap, n;
};

/* The entry of key, or NULL. */
struct fingerprint *fingerprints_find(struct fingerprints *t, uint64_t key);
/* Sets key's entry (adding it, growing from first_cap slots when over half
 * full).  0, or -1 out of memory (the table is unchanged: the row is shipped
 * again next time). */
int fingerprints_put(struct fingerprints *t, uint64_t key, uint64_t value, uint32_t pass,
                     size_t first_cap);
/* Forgets every row (keeps the memory). */
void fingerprints_clear(struct fingerprints *t);
void fingerprints_free(struct fingerprints *t);

/* The rows of the page being shipped: key and new hash of each. */
struct fp_page {
    uint64_t *key, *value; /* owned; cap entries */
    size_t n, cap;
};

/* Appends a row (growing from first_cap entries).  0, or -1 out of memory. */
int fp_page_add(struct fp_page *p, uint64_t key, uint64_t value, size_t first_cap);
void fp_page_free(struct fp_page *p);

/* After the page's COMMIT: records its rows with pass, then empties the
 * page.  Out of memory stops early: those rows are simply shipped again. */
void fingerprints_commit_page(struct fingerprints *t, struct fp_page *p, uint32_t pass,
                              size_t first_cap);

#endif
