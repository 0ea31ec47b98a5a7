/* Everything printed from the command table (commands.c): --help, the short usage of a
 * usage error, and at build time (`bpfman __generate man|markdown|bash-completion`) the
 * man page bpfman(8), docs/cli-reference.md and the bash completion. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"
#include "cli.h"

#define HELP_OPT { "help", 'h', 0, NULL, "show this help" }

/* "-p, --path PATH" or "    --programs TYPE:FUNC..." */
static void opt_left(const struct opt *o, char *buf, size_t size)
{
	snprintf(buf, size, "%s%c%s--%s%s%s%s", o->short_name ? "-" : " ",
		 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->long_name,
		 o->value_name ? " " : "", o->value_name ? o->value_name : "",
		 o->takes_value == 2 ? "..." : "");
}

static void print_opt(FILE *f, const struct opt *o)
{
	char left[96];

	opt_left(o, left, sizeof(left));
	fprintf(f, "  %-34s %s\n", left, o->help ? o->help : "");
}

/* Each line of usage as "bpfman PATH LINE", the first after `first`, the others after
 * `cont`; a group: its subcommands' */
static void usage_lines(FILE *f, const char *first, const char *cont, const char *path,
			const struct cli_command *c)
{
	const char *u = c->usage;

	if (c->subs && !u) {
		for (const struct cli_command *s = c->subs; s->name; s++) {
			char sub[128];

			snprintf(sub, sizeof(sub), "%s %s", path, s->name);
			usage_lines(f, first, cont, sub, s);
			first = cont;
		}
		return;
	}
	do {
		const char *nl = u ? strchr(u, '\n') : NULL;
		int len = u ? (nl ? (int)(nl - u) : (int)strlen(u)) : 0;

		fprintf(f, "%sbpfman %s%s%.*s\n", first, path, len ? " " : "", len, u ? u : "");
		first = cont;
		u = nl ? nl + 1 : NULL;
	} while (u);
}

void cli_short_usage(FILE *f, const char *path, const struct cli_command *c)
{
	if (!c) {
		fputs("Usage: bpfman [--root DIR] COMMAND ...\nTry 'bpfman --help'.\n", f);
		return;
	}
	usage_lines(f, "Usage: ", "       ", path, c);
	fprintf(f, "Try 'bpfman %s --help'.\n", path);
}

void cli_help(FILE *f, const char *path, const struct cli_command *c)
{
	const struct opt help = HELP_OPT;

	usage_lines(f, "Usage: ", "       ", path, c);
	/* summaries are lowercase (they follow a name in lists); here they begin a sentence */
	fprintf(f, "\n%c%s.%s%s\n", toupper((unsigned char)c->summary[0]), c->summary + 1,
		c->description ? " " : "", c->description ? c->description : "");
	if (c->subs) {
		fputs("\nCommands:\n", f);
		for (const struct cli_command *s = c->subs; s->name; s++)
			fprintf(f, "  %-22s %s\n", s->name, s->summary);
		fprintf(f, "\n'bpfman %s COMMAND --help' describes each.\n", path);
	}
	fputs("\nOptions:\n", f);
	for (size_t i = 0; c->opts && i < c->opts->n; i++)
		print_opt(f, &c->opts->v[i]);
	print_opt(f, &help);
	if (c->example)
		fprintf(f, "\nExample:\n  %s\n", c->example);
}

void cli_main_help(FILE *f)
{
	fputs("Usage: bpfman [--root DIR] COMMAND ...\n"
	      "\nManages eBPF programs: loads, attaches and lists them, with or without the\n"
	      "server (bpfman-rpc).\n\nCommands:\n",
	      f);
	for (const struct cli_command *c = cli_commands; c->name; c++) {
		if (!c->subs) {
			fprintf(f, "  %-28s %s\n", c->name, c->summary);
			continue;
		}
		for (const struct cli_command *s = c->subs; s->name; s++) {
			char name[64];

			snprintf(name, sizeof(name), "%s %s", c->name, s->name);
			fprintf(f, "  %-28s %s\n", name, s->summary);
		}
	}
	fputs("\nOptions:\n"
	      "  --root DIR                     move every path under DIR (or BPFMAN_ROOT)\n"
	      "  -h, --help                     show this help ('bpfman COMMAND --help': a command's)\n"
	      "  -V, --version                  show the version and the git revision\n"
	      "\nBPFMAN_LOG=error|warn|info|debug sets the log level. Exit status: 0 success, 1\n"
	      "failure, 2 usage error. See bpfman(8).\n",
	      f);
}

/* ---- generators ---- */

/* Calls fn for every command with its path ("load file"), leaves and groups alike. */
static void walk(void (*fn)(FILE *, const char *, const struct cli_command *), FILE *f)
{
	for (const struct cli_command *c = cli_commands; c->name; c++) {
		fn(f, c->name, c);
		for (const struct cli_command *s = c->subs; s && s->name; s++) {
			char path[128];

			snprintf(path, sizeof(path), "%s %s", c->name, s->name);
			fn(f, path, s);
		}
	}
}

/* roff text: backslashes escaped, '-' as \-, no line starting with '.' or '\'' */
static void roff(FILE *f, const char *s)
{
	bool bol = true;

	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
		bol = *s == '\n';
	}
}

static void man_command(FILE *f, const char *path, const struct cli_command *c)
{
	const struct opt help = HELP_OPT;
	char left[96], *text = NULL;
	size_t len = 0;
	FILE *usage;

	if (c->subs && !c->opts) { /* a group: its subcommands have the details */
		fputs(".SS \"", f);
		roff(f, path);
		fputs("\"\n", f);
		roff(f, c->summary);
		fputs(". Commands:", f);
		for (const struct cli_command *s = c->subs; s->name; s++)
			fprintf(f, "%s %s", s == c->subs ? "" : ",", s->name);
		fputs(".\n", f);
		return;
	}
	fputs(".SS \"", f);
	roff(f, path);
	fputs("\"\n.nf\n", f);
	usage = open_memstream(&text, &len);
	if (usage) {
		usage_lines(usage, "", "", path, c);
		fclose(usage);
		roff(f, text ? text : "");
		free(text);
	}
	fputs(".fi\n.PP\n", f);
	roff(f, c->summary);
	fputs(".", f);
	if (c->description) {
		fputc(' ', f);
		roff(f, c->description);
	}
	fputc('\n', f);
	for (size_t i = 0; c->opts && i < c->opts->n; i++) {
		opt_left(&c->opts->v[i], left, sizeof(left));
		fputs(".TP\n.B ", f);
		roff(f, left + strspn(left, " "));
		fputc('\n', f);
		roff(f, c->opts->v[i].help ? c->opts->v[i].help : "");
		fputc('\n', f);
	}
	opt_left(&help, left, sizeof(left));
	fputs(".TP\n.B ", f);
	roff(f, left);
	fputs("\nshow this help\n", f);
	if (c->example) {
		fputs(".PP\nExample:\n.PP\n.nf\n.RS\n", f);
		roff(f, c->example);
		fputs("\n.RE\n.fi\n", f);
	}
}

static void man(FILE *f)
{
	fprintf(f, ".\\\" generated by bpfman __generate man from the command table; do not edit\n"
		   ".TH BPFMAN 8 \"\" \"bpfman %s\" \"System Administration\"\n",
		BPFMAN_VERSION);
	fputs(".SH NAME\nbpfman \\- manage eBPF programs\n"
	      ".SH SYNOPSIS\n.B bpfman\n[\\fB\\-\\-root\\fR \\fIDIR\\fR] \\fICOMMAND\\fR ...\n.br\n"
	      ".B bpfman\n\\fICOMMAND\\fR \\fB\\-\\-help\\fR\n.br\n.B bpfman \\-\\-version\n"
	      ".SH DESCRIPTION\n"
	      "bpfman loads eBPF programs, attaches them (xdp and tc through multi-program "
	      "dispatchers), lists them and manages bytecode images and declared applications. "
	      "The command line calls the library directly: no server is needed, and it shares "
	      "its state with a running server (bpfman\\-rpc(8)) safely.\n"
	      ".PP\nEvery command answers \\fB\\-h\\fR, \\fB\\-\\-help\\fR with its usage, "
	      "options and an example. Commands that print take \\fB\\-o json\\fR; in that mode "
	      "an error is printed as {\"error\": \"...\"} on standard output.\n"
	      ".SH GLOBAL OPTIONS\n"
	      ".TP\n.B \\-\\-root DIR\nmove every path (/run/bpfman, /var/lib/bpfman, "
	      "/etc/bpfman) under DIR\n"
	      ".TP\n.B \\-V, \\-\\-version\nprint the version and the git revision it was built from\n"
	      ".SH COMMANDS\n",
	      f);
	walk(man_command, f);
	fputs(".SH ENVIRONMENT\n.TP\n.B BPFMAN_ROOT\nas \\-\\-root\n"
	      ".TP\n.B BPFMAN_LOG\nerror, warn, info (default) or debug\n"
	      ".SH FILES\n.TP\n.I /etc/bpfman/bpfman.toml\nthe configuration, see bpfman.toml(5)\n"
	      ".TP\n.I /run/bpfman\npins and locks\n"
	      ".TP\n.I /var/lib/bpfman\nthe database and the image cache\n"
	      ".TP\n.I /etc/bpfman/applications.d\nwhat \\fBapply \\-\\-boot\\fR applies\n"
	      ".SH EXIT STATUS\n0 on success, 1 on failure, 2 on a usage error (unknown command "
	      "or option, missing or malformed argument).\n"
	      ".SH SEE ALSO\nbpfman\\-rpc(8), bpfman.toml(5), bpftool(8)\n",
	      f);
}

static void md_command(FILE *f, const char *path, const struct cli_command *c)
{
	const struct opt help = HELP_OPT;
	char left[96];

	fprintf(f, "\n## bpfman %s\n\n%c%s.%s%s\n\n```\n", path,
		toupper((unsigned char)c->summary[0]), c->summary + 1, c->description ? " " : "",
		c->description ? c->description : "");
	usage_lines(f, "", "", path, c);
	fputs("```\n", f);
	if (c->subs) {
		fputs("\nSubcommands:", f);
		for (const struct cli_command *s = c->subs; s->name; s++)
			fprintf(f, " `%s`", s->name);
		fputc('\n', f);
	}
	fputs("\n| Option | |\n|---|---|\n", f);
	for (size_t i = 0; c->opts && i < c->opts->n; i++) {
		opt_left(&c->opts->v[i], left, sizeof(left));
		fprintf(f, "| `%s` | %s |\n", left + strspn(left, " "),
			c->opts->v[i].help ? c->opts->v[i].help : "");
	}
	opt_left(&help, left, sizeof(left));
	fprintf(f, "| `%s` | %s |\n", left, help.help);
	if (c->example)
		fprintf(f, "\nExample: `%s`\n", c->example);
}

static void markdown(FILE *f)
{
	fputs("<!-- generated by `bpfman __generate markdown` from the command table "
	      "(src/cli/commands.c); do not edit -->\n"
	      "# bpfman command reference\n\n"
	      "Global options: `--root DIR` (or `BPFMAN_ROOT`), `-h|--help`, `-V|--version`. "
	      "`BPFMAN_LOG` sets the log level. Exit status: 0 success, 1 failure, 2 usage error. "
	      "With `-o json` errors are `{\"error\": \"...\"}` on stdout.\n",
	      f);
	walk(md_command, f);
}

/* ---- bash completion ---- */

static void bash_words(FILE *f, const char *path, const struct cli_command *c)
{
	fprintf(f, "\t\t'%s') echo '", path);
	for (const struct cli_command *s = c->subs; s && s->name; s++)
		fprintf(f, "%s ", s->name);
	for (size_t i = 0; c->opts && i < c->opts->n; i++) {
		const struct opt *o = &c->opts->v[i];

		if (o->short_name)
			fprintf(f, "-%c ", o->short_name);
		fprintf(f, "--%s ", o->long_name);
	}
	fputs("-h --help' ;;\n", f);
}

static void bash_values(FILE *f, const char *path, const struct cli_command *c)
{
	for (size_t i = 0; c->opts && i < c->opts->n; i++) {
		const struct opt *o = &c->opts->v[i];

		if (!o->takes_value)
			continue;
		fprintf(f, "\t\t'%s|--%s'", path, o->long_name);
		if (o->short_name)
			fprintf(f, "|'%s|-%c'", path, o->short_name);
		fprintf(f, ") echo '%s' ;;\n", o->value_name ? o->value_name : "VALUE");
	}
}

/* the leading UPPERCASE words of the usage: the positional arguments to complete */
static void bash_positionals(FILE *f, const char *path, const struct cli_command *c)
{
	const char *u = c->usage;
	size_t n;

	if (!u || !isupper((unsigned char)u[0]))
		return;
	fprintf(f, "\t\t'%s') echo '", path);
	while (isupper((unsigned char)*u)) {
		n = strcspn(u, " \n");
		fprintf(f, "%.*s ", (int)n, u);
		u += n;
		if (*u != ' ')
			break;
		u++;
		if (!isupper((unsigned char)*u) && strncmp(u, "xdp", 3))
			break;
		if (!strncmp(u, "xdp", 3)) { /* attach PROGRAM_ID TYPE */
			fputs("ATTACH_TYPE ", f);
			break;
		}
	}
	fputs("' ;;\n", f);
}

static void bash(FILE *f)
{
	fputs("# bash completion for bpfman; generated by `bpfman __generate bash-completion`\n"
	      "# from the command table (src/cli/commands.c); do not edit.\n"
	      "\n# the subcommands and options of a command path\n_bpfman_words() {\n\tcase \"$1\" in\n",
	      f);
	fputs("\t\t'') echo '", f);
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(f, "%s ", c->name);
	fputs("--root -h --help -V --version' ;;\n", f);
	walk(bash_words, f);
	fputs("\tesac\n}\n\n# the value name of an option that takes a value (\"PATH|OPTION\")\n"
	      "_bpfman_value() {\n\tcase \"$1\" in\n\t\t'|--root') echo DIR ;;\n",
	      f);
	walk(bash_values, f);
	fputs("\tesac\n}\n\n# the positional arguments of a command path\n_bpfman_positionals() {\n"
	      "\tcase \"$1\" in\n",
	      f);
	walk(bash_positionals, f);
	fputs("\tesac\n}\n\n", f);
	fputs("# ids from the command itself at completion time (\"id\" is the kernel's program id\n"
	      "# in `list programs -o json` and the link id in `list links -o json`)\n"
	      "_bpfman_ids() {\n"
	      "\t\"${_bpfman_cmd[@]}\" list \"$1\" -o json 2>/dev/null |\n"
	      "\t\tgrep -o '\"id\": *[0-9]*' | grep -o '[0-9]*$'\n"
	      "}\n\n"
	      "# the words a value or positional argument NAME can be\n"
	      "_bpfman_complete_value() {\n"
	      "\tlocal cur=$2\n"
	      "\tcase \"$1\" in\n"
	      "\tIFACE) COMPREPLY=($(compgen -W \"$(ls /sys/class/net 2>/dev/null)\" -- \"$cur\")) ;;\n"
	      "\tPROGRAM_ID | ID) COMPREPLY=($(compgen -W \"$(_bpfman_ids programs)\" -- \"$cur\")) ;;\n"
	      "\tLINK_ID) COMPREPLY=($(compgen -W \"$(_bpfman_ids links)\" -- \"$cur\")) ;;\n"
	      "\tATTACH_TYPE) COMPREPLY=($(compgen -W 'xdp tc tcx tracepoint kprobe uprobe fentry fexit lsm' -- \"$cur\")) ;;\n"
	      "\t'TYPE:FUNC[:ATTACH_FN]')\n"
	      "\t\tcompopt -o nospace 2>/dev/null\n"
	      "\t\tCOMPREPLY=($(compgen -W 'xdp: tc: tcx: tracepoint: kprobe: uprobe: fentry: fexit: lsm:' -- \"$cur\")) ;;\n"
	      "\tKERNEL_TYPE) COMPREPLY=($(compgen -W 'xdp sched_cls sched_act tracepoint kprobe tracing lsm cgroup_skb socket_filter perf_event raw_tracepoint' -- \"$cur\")) ;;\n"
	      "\t'ingress|egress') COMPREPLY=($(compgen -W 'ingress egress' -- \"$cur\")) ;;\n"
	      "\t'table|json') COMPREPLY=($(compgen -W 'table json' -- \"$cur\")) ;;\n"
	      "\tPOLICY) COMPREPLY=($(compgen -W 'Always IfNotPresent Never' -- \"$cur\")) ;;\n"
	      "\tDIR) COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n"
	      "\tPATH | FILE | KEY | PUBLIC_KEY | 'FILE|DIR') COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
	      "\t*) COMPREPLY=() ;;\n"
	      "\tesac\n"
	      "}\n\n"
	      "_bpfman() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	      "\tlocal path='' npos=0 i w v\n"
	      "\tlocal -a _bpfman_cmd=(\"${COMP_WORDS[0]}\")\n"
	      "\tCOMPREPLY=()\n"
	      "\t# walk the words before the cursor: the command path, the positionals given\n"
	      "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	      "\t\tw=${COMP_WORDS[i]}\n"
	      "\t\tif [[ $w == -* ]]; then\n"
	      "\t\t\t[[ -z $path && ( $w == --root ) ]] && _bpfman_cmd+=(--root \"${COMP_WORDS[i + 1]}\")\n"
	      "\t\t\t[[ -n $(_bpfman_value \"$path|$w\") ]] && ((i++))\n"
	      "\t\t\tcontinue\n"
	      "\t\tfi\n"
	      "\t\tif [[ \" $(_bpfman_words \"$path\") \" == *\" $w \"* && $npos == 0 ]]; then\n"
	      "\t\t\tpath=${path:+$path }$w\n"
	      "\t\telse\n"
	      "\t\t\t((npos++))\n"
	      "\t\tfi\n"
	      "\tdone\n"
	      "\tv=$(_bpfman_value \"$path|$prev\")\n"
	      "\tif [[ -n $v ]]; then\n"
	      "\t\t_bpfman_complete_value \"$v\" \"$cur\"\n"
	      "\t\treturn 0\n"
	      "\tfi\n"
	      "\tif [[ $cur != -* ]]; then\n"
	      "\t\tlocal -a pos=($(_bpfman_positionals \"$path\"))\n"
	      "\t\tif ((npos < ${#pos[@]})); then\n"
	      "\t\t\t_bpfman_complete_value \"${pos[npos]}\" \"$cur\"\n"
	      "\t\t\treturn 0\n"
	      "\t\tfi\n"
	      "\tfi\n"
	      "\tCOMPREPLY=($(compgen -W \"$(_bpfman_words \"$path\")\" -- \"$cur\"))\n"
	      "}\n"
	      "complete -F _bpfman bpfman\n",
	      f);
}

int cli_generate(const char *what, FILE *f)
{
	if (!strcmp(what, "man"))
		man(f);
	else if (!strcmp(what, "markdown"))
		markdown(f);
	else if (!strcmp(what, "bash-completion"))
		bash(f);
	else
		return -EINVAL;
	return fflush(f) == 0 ? 0 : -EIO;
}
