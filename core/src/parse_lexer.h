/* parse_lexer.h - splits presentation-format text into tokens (RFC 1035 5.1).
 *
 * The lexer owns the line structure of the text: comments, parentheses
 * (inside them a newline does not end the record), quoted strings and
 * backslash escapes. The parser above sees only words and the ends of
 * logical lines. */
#ifndef SRV_PARSE_LEXER_H
#define SRV_PARSE_LEXER_H

#include "srv.h"

typedef enum parse_token_kind {
    PARSE_TOKEN_WORD,          /* a run of non-blank text, escapes kept as written */
    PARSE_TOKEN_QUOTED,        /* "...", text includes the quotes */
    PARSE_TOKEN_END_OF_LINE,   /* a newline outside parentheses */
    PARSE_TOKEN_END_OF_INPUT
} parse_token_kind_t;

typedef struct parse_token {
    parse_token_kind_t kind;
    const char *text;          /* points into the input; not NUL-terminated */
    size_t len;
    unsigned line;             /* 1-based */
    unsigned column;           /* 1-based, in bytes; for the two "end" kinds,
                                * just after the last word of the line, which
                                * is where a missing field was expected */
    int first_on_line;         /* first token since the last end of line */
    int line_starts_blank;     /* its line begins with a space or tab */
} parse_token_t;

typedef struct parse_lexer {
    const char *text;
    size_t len;
    size_t pos;
    unsigned line;
    size_t line_start;          /* offset of the current line's first byte */
    int in_parentheses;
    unsigned open_line, open_column;   /* of the '(' for "unclosed" errors */
    int at_line_start;          /* no token yet on this logical line */
    int have_word;              /* a word was seen on this logical line */
    unsigned after_word_line, after_word_column;
} parse_lexer_t;

void parse_lexer_init(parse_lexer_t *lexer, const char *text, size_t len);

/* Reads the next token. SRV_EPARSE (err filled) on a NUL byte, an
 * unterminated quoted string, nested or unbalanced parentheses. After
 * END_OF_INPUT every further call returns END_OF_INPUT again. */
srv_status_t parse_lexer_next(parse_lexer_t *lexer, parse_token_t *token,
                              srv_parse_error_t *err);

#endif
