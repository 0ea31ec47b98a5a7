/* Shared pieces of the bpfman CLI: argument scanning, the library handle, output. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpfman.h"
#include "log.h"

/* One option of a command. Values: takes_value 1 = one value, 2 = one or more values
 * (everything up to the next option), 0 = a flag. value_name and help are what --help, the
 * man page and the completion show, so the parser and the documentation are one table. */
struct opt {
	const char *long_name;
	char short_name;
	int takes_value;
	const char *value_name;
	const char *help;
};

/* A command's options; defined with OPT_TABLE next to the code that reads them, and
 * referenced by the command table (commands.c) that --help and the generators walk. */
struct opt_table {
	const struct opt *v;
	size_t n;
};
#define OPT_TABLE(name, ...)                                      \
	static const struct opt name##_v[] = { __VA_ARGS__ };     \
	const struct opt_table name = { name##_v, sizeof(name##_v) / sizeof(name##_v[0]) }

/* One command or subcommand (commands.c). usage is the synopsis after "bpfman PATH";
 * a group (subs != NULL) may run itself too (the older `bpfman list`, `bpfman get ID`). */
struct cli_command {
	const char *name;
	const char *summary;
	const char *usage;
	const char *example;
	const struct opt_table *opts;
	const struct cli_command *subs; /* ends with a NULL name */
	int (*run)(int argc, char **argv);
	bool json; /* takes -o json */
	const char *description; /* optional longer text for --help and the man page */
};
extern const struct cli_command cli_commands[]; /* ends with a NULL name */
const struct cli_command *cli_command_find(const struct cli_command *list, const char *name);

/* help.c: --help of one command (path is "load file"), the short usage of a usage error,
 * and the generated man page, markdown reference and bash completion. */
void cli_help(FILE *f, const char *path, const struct cli_command *c);
void cli_short_usage(FILE *f, const char *path, const struct cli_command *c);
void cli_main_help(FILE *f);
int cli_generate(const char *what, FILE *f);

/* A usage error (unknown or malformed argument): logged like log_error, and main exits 2
 * with the command's short usage instead of 1. */
void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool cli_usage_failed;

/* Result of scanning: for each option index, the values given (in order) and a count of
 * times seen; positional arguments in pos[]. */
struct parsed {
	const struct opt *opts;
	size_t n_opts;
	char **values[32];
	size_t n_values[32];
	size_t seen[32];
	char **pos;
	size_t n_pos;
};

/* Returns 0, or -EINVAL after printing which option is wrong. */
int parse_args(const struct opt *opts, size_t n_opts, int argc, char **argv, struct parsed *ret);
int parse_table(const struct opt_table *t, int argc, char **argv, struct parsed *ret);
void parsed_free(struct parsed *p);
/* Last value of an option, or NULL. */
const char *opt_value(const struct parsed *p, const char *long_name);
/* Every value of an option (all occurrences). */
size_t opt_values(const struct parsed *p, const char *long_name, char ***ret);
bool opt_flag(const struct parsed *p, const char *long_name);

/* Opens the library under the root from --root / BPFMAN_ROOT. Logs and returns <0. */
int cli_open(bool read_only, struct bpfman **ret);
extern const char *arg_root;

/* Output */
enum output_format { OUTPUT_TABLE, OUTPUT_JSON };
int output_format_from(const struct parsed *p, enum output_format *ret);
void print_program_view(const struct bpfman_program_view *v, enum output_format f);
/* The same, followed by the dispatcher counts of the program's links (l may be NULL). */
void print_program_view_counts(const struct bpfman_program_view *v, const struct bpfman_link *l,
			       size_t n, enum output_format f);
void print_program_views(const struct bpfman_program_view *v, size_t n, enum output_format f,
			 bool as_list);
void print_link(const struct bpfman_link *l, enum output_format f);
void print_links(const struct bpfman_link *l, size_t n, enum output_format f);
void print_chain(const char *iface, const struct bpfman_chain *c, enum output_format f);
/* In JSON mode errors are {"error": "..."} so the output stays valid JSON. */
void print_error(enum output_format f, const char *msg);
/* Set once -o json is known (main looks ahead; output_format_from confirms): from then on
 * the first error logged is also printed as {"error": "..."} on stdout. */
void cli_set_json_errors(bool on);
/* Prints (and frees) the JSON document of the run. */
struct json_t;
void cli_print_json(struct json_t *j);
/* The CLI's log writer (main.c installs it): stderr, and that JSON error. */
void cli_log_writer(enum log_level level, const char *msg);

/* Parses a decimal id; logs and returns -EINVAL when it is not one. */
int cli_parse_id(const char *s, const char *what, uint32_t *ret);

/* unload / detach: one id, one change, the library's message on failure. */
int cli_change_by_id(int argc, char **argv, const char *usage, const char *what,
		     int (*change)(struct bpfman *m, uint32_t id));

int cmd_load(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_system(int argc, char **argv);
int cmd_dispatcher(int argc, char **argv);
int cmd_image(int argc, char **argv);
/* declared applications (cmd-apply.c, printed by render-apply.c) */
int cmd_apply(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_status(int argc, char **argv);
struct app_result;
enum apply_verb { APPLY_VERB_APPLY, APPLY_VERB_DELETE, APPLY_VERB_STATUS };
void print_app_results(const struct app_result *v, size_t n, enum apply_verb verb, bool dry_run,
		       enum output_format f);
/* bpfman image SUBCOMMAND: argc/argv start after the subcommand's name */
int cmd_image_pull(int argc, char **argv);
int cmd_image_list(int argc, char **argv);
int cmd_image_rm(int argc, char **argv);
int cmd_image_build(int argc, char **argv);
int cmd_image_generate_build_args(int argc, char **argv);
int cmd_image_sign(int argc, char **argv);
int cmd_image_verify(int argc, char **argv);

/* Shared by load image and image pull (cmd-image-pull.c). */
/* --registry-auth BASE64(user:pass) -> both NULL when b64 is NULL; logs and -EINVAL */
int cli_registry_auth(const char *b64, char **ret_user, char **ret_pass);
void cli_registry_auth_free(char *user, char *pass); /* wipes the password */
/* Always|IfNotPresent|Never; *ret unchanged when s is NULL; logs and -EINVAL */
int cli_pull_policy(const char *s, int *ret);
/* -i|--image-url (required), -p|--pull-policy and -r|--registry-auth of load image and image
 * pull; the credentials are the caller's (cli_registry_auth_free). Logs and -EINVAL. */
int cli_image_source(const struct parsed *p, const char **ret_url, int *pull_policy,
		     char **ret_user, char **ret_pass);
/* A progress line on stderr during downloads, when stderr is a terminal. */
void cli_progress_begin(struct bpfman *m);
void cli_progress_end(void);
