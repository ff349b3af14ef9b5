// SPDX-License-Identifier: MIT
// Error codes shared by every libmeshlog module. All are negative, so they never
// collide with a count or with errno values; ml_strerror() names each one.
#ifndef MESHLOG_ERROR_H
#define MESHLOG_ERROR_H

enum {
    ML_OK = 0,
    ML_ENOMEM = -1,      /* out of memory */
    ML_EINVAL = -2,      /* bad argument from the caller */
    ML_EMALFORMED = -3,  /* input bytes or text do not parse */
    ML_ECRYPTO = -4,     /* the crypto library failed */
    ML_EIO = -5,         /* file or socket I/O failed (see errno) */
    ML_EDB = -6,         /* SQLite reported an error */
    ML_ENOTFOUND = -7,   /* no such thing */
    ML_EEXIST = -8,      /* already exists */
    ML_EBADSIG = -9,     /* signature does not verify */
    ML_EBADID = -10,     /* id does not match the content */
    ML_EBADCHAIN = -11,  /* prev does not link to the previous event */
    ML_EFORK = -12,      /* a different event for a slot already filled */
    ML_ERANGE = -13,     /* a value that cannot be kept exactly */
    ML_EUNSUPPORTED = -14,/* a version or feature this build does not speak */
    ML_ETOOBIG = -15,    /* larger than a limit */
    ML_EUNSIGNED = -16,  /* unsigned (legacy) event where a signed one is needed */
    ML_ECORRUPT = -17,   /* stored data fails verification */
    ML_ETIMEOUT = -18,   /* a deadline passed */
    ML_ESTATE = -19,     /* call not valid in the current state */
    ML_EAUTH = -20,      /* MAC or authentication check failed */
    ML_ENOMSGTYPE = -21, /* a channel message whose type has no MSGTYPE */
};

/* A static, human-readable name for an ML_E* code (never NULL). */
const char *ml_strerror(int err);

#endif
