// OpenSSL's SHA-256 uses the CPU's SHA extensions where present (several GB/s); the low-level
// SHA256_CTX API is deprecated in OpenSSL 3 but is a plain value type, which suits a Swift struct.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
#include <openssl/hmac.h>
#include <openssl/evp.h>
