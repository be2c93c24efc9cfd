/* parse_lexer.c - splits presentation-format text into tokens (RFC 1035 5.1). */
#include "parse_lexer.h"

#include "parse_error.h"

void parse_lexer_init(parse_lexer_t *lexer, const char *text, size_t len)
{
    *lexer = (parse_lexer_t){
        .text = text, .len = len, .line = 1, .at_line_start = 1,
    };
}

static unsigned column_of(const parse_lexer_t *lexer, size_t pos)
{
    return (unsigned)(pos - lexer->line_start + 1);
}

/* '\r' counts as a blank so text pasted with CRLF line ends reads the same. */
static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Characters that end an unquoted word (RFC 1035 5.1). */
static int ends_word(char c)
{
    return is_blank(c) || c == '\n' || c == ';' || c == '(' || c == ')' ||
           c == '"' || c == '\0';
}

static srv_status_t fail_at(const parse_lexer_t *lexer, size_t pos,
                            srv_parse_error_t *err, const char *reason)
{
    parse_error_set(err, lexer->line, column_of(lexer, pos), "%s", reason);
    return SRV_EPARSE;
}

/* The text is not NUL-terminated and a NUL inside it would cut every string
 * built from it short, so a NUL byte is refused wherever it appears. */
static srv_status_t fail_nul(const parse_lexer_t *lexer, size_t pos,
                             srv_parse_error_t *err)
{
    return fail_at(lexer, pos, err, "NUL byte in text");
}

static void start_token(parse_lexer_t *lexer, parse_token_t *token,
                        parse_token_kind_t kind, size_t start)
{
    token->kind = kind;
    token->text = lexer->text + start;
    token->len = 0;
    token->line = lexer->line;
    token->column = column_of(lexer, start);
    token->first_on_line = lexer->at_line_start;
    token->line_starts_blank = lexer->line_start < lexer->len &&
        (lexer->text[lexer->line_start] == ' ' || lexer->text[lexer->line_start] == '\t');
}

static void finish_word(parse_lexer_t *lexer, parse_token_t *token)
{
    token->len = (size_t)(lexer->text + lexer->pos - token->text);
    lexer->at_line_start = 0;
    lexer->have_word = 1;
    lexer->after_word_line = lexer->line;
    lexer->after_word_column = column_of(lexer, lexer->pos);
}

/* An end token sits where the next field would have been written. */
static void make_end_token(parse_lexer_t *lexer, parse_token_t *token,
                           parse_token_kind_t kind, size_t pos)
{
    start_token(lexer, token, kind, pos);
    if (lexer->have_word) {
        token->line = lexer->after_word_line;
        token->column = lexer->after_word_column;
    }
}

/* A backslash takes the next byte into the word whatever it is (RFC 1035
 * 5.1 "\X"); a newline cannot be escaped because it would hide the end of
 * the record. */
static srv_status_t read_escape(parse_lexer_t *lexer, srv_parse_error_t *err)
{
    size_t backslash = lexer->pos++;
    if (lexer->pos >= lexer->len)
        return SRV_OK;
    char c = lexer->text[lexer->pos];
    if (c == '\0')
        return fail_nul(lexer, lexer->pos, err);
    if (c == '\n')
        return fail_at(lexer, backslash, err, "backslash before end of line");
    lexer->pos++;
    return SRV_OK;
}

/* One character of a word or quoted string: an escape takes several. */
static srv_status_t read_character(parse_lexer_t *lexer, srv_parse_error_t *err)
{
    if (lexer->text[lexer->pos] == '\\')
        return read_escape(lexer, err);
    lexer->pos++;
    return SRV_OK;
}

static srv_status_t read_word(parse_lexer_t *lexer, parse_token_t *token,
                              srv_parse_error_t *err)
{
    start_token(lexer, token, PARSE_TOKEN_WORD, lexer->pos);
    while (lexer->pos < lexer->len && !ends_word(lexer->text[lexer->pos])) {
        srv_status_t status = read_character(lexer, err);
        if (status != SRV_OK)
            return status;
    }
    finish_word(lexer, token);
    return SRV_OK;
}

/* A quoted string ends on its line: a missing quote would otherwise
 * swallow the rest of the text. */
static srv_status_t read_quoted(parse_lexer_t *lexer, parse_token_t *token,
                                srv_parse_error_t *err)
{
    size_t open = lexer->pos++;
    start_token(lexer, token, PARSE_TOKEN_QUOTED, open);
    for (;;) {
        if (lexer->pos >= lexer->len || lexer->text[lexer->pos] == '\n')
            return fail_at(lexer, open, err, "unterminated quoted string");
        char c = lexer->text[lexer->pos];
        if (c == '\0')
            return fail_nul(lexer, lexer->pos, err);
        if (c == '"') {
            lexer->pos++;
            break;
        }
        srv_status_t status = read_character(lexer, err);
        if (status != SRV_OK)
            return status;
    }
    finish_word(lexer, token);
    return SRV_OK;
}

static srv_status_t skip_comment(parse_lexer_t *lexer, srv_parse_error_t *err)
{
    while (lexer->pos < lexer->len && lexer->text[lexer->pos] != '\n') {
        if (lexer->text[lexer->pos] == '\0')
            return fail_nul(lexer, lexer->pos, err);
        lexer->pos++;
    }
    return SRV_OK;
}

/* RFC 1035 5.1: parentheses group data that crosses a line boundary. They
 * do not nest. */
static srv_status_t open_parenthesis(parse_lexer_t *lexer, srv_parse_error_t *err)
{
    if (lexer->in_parentheses)
        return fail_at(lexer, lexer->pos, err, "nested parenthesis");
    lexer->in_parentheses = 1;
    lexer->open_line = lexer->line;
    lexer->open_column = column_of(lexer, lexer->pos);
    lexer->pos++;
    return SRV_OK;
}

static srv_status_t close_parenthesis(parse_lexer_t *lexer, srv_parse_error_t *err)
{
    if (!lexer->in_parentheses)
        return fail_at(lexer, lexer->pos, err, "')' without '('");
    lexer->in_parentheses = 0;
    lexer->pos++;
    return SRV_OK;
}

/* Returns 1 when the newline ends a logical line (and fills token). */
static int take_newline(parse_lexer_t *lexer, parse_token_t *token)
{
    size_t newline = lexer->pos;
    int ends_line = !lexer->in_parentheses;
    if (ends_line)
        make_end_token(lexer, token, PARSE_TOKEN_END_OF_LINE, newline);
    lexer->pos++;
    lexer->line++;
    lexer->line_start = lexer->pos;
    if (ends_line) {
        lexer->at_line_start = 1;
        lexer->have_word = 0;
    }
    return ends_line;
}

srv_status_t parse_lexer_next(parse_lexer_t *lexer, parse_token_t *token,
                              srv_parse_error_t *err)
{
    srv_status_t status = SRV_OK;
    while (status == SRV_OK) {
        if (lexer->pos >= lexer->len) {
            if (lexer->in_parentheses) {
                parse_error_set(err, lexer->open_line, lexer->open_column,
                                "unclosed parenthesis");
                return SRV_EPARSE;
            }
            make_end_token(lexer, token, PARSE_TOKEN_END_OF_INPUT, lexer->pos);
            return SRV_OK;
        }
        char c = lexer->text[lexer->pos];
        if (is_blank(c))
            lexer->pos++;
        else if (c == '\n') {
            if (take_newline(lexer, token))
                return SRV_OK;
        } else if (c == ';')
            status = skip_comment(lexer, err);
        else if (c == '(')
            status = open_parenthesis(lexer, err);
        else if (c == ')')
            status = close_parenthesis(lexer, err);
        else if (c == '\0')
            return fail_nul(lexer, lexer->pos, err);
        else if (c == '"')
            return read_quoted(lexer, token, err);
        else
            return read_word(lexer, token, err);
    }
    return status;
}
