/* The table of every command and subcommand: main.c dispatches through it, each command
 * parses with the option table it points at, and --help, the man page, the markdown
 * reference and the bash completion are printed from it (help.c), so none can drift. */
#include <string.h>

#include "cli.h"

extern const struct opt_table load_file_options, load_image_options, attach_options,
	list_programs_options, list_links_options, get_options, dispatcher_show_options,
	image_pull_options, image_list_options, image_build_options,
	image_generate_build_args_options, image_sign_options, image_verify_options,
	apply_options, delete_options, status_options;

/* bpfman-rpc parses these (src/rpc/main.c); `system service` hands them over unchanged */
OPT_TABLE(system_service_options,
	  { "socket-path", 0, 1, "PATH", "the Unix socket (default /run/bpfman-sock/bpfman.sock)" },
	  { "timeout", 0, 1, "SECONDS", "exit after that long without a request (0: never)" },
	  { "csi-support", 0, 0, NULL,
	    "also serve the CSI node plugin csi.bpfman.io (needs KUBE_NODE_NAME)" },
	  { "csi-socket", 0, 1, "PATH", "its socket (default /run/bpfman/csi/csi.sock)" },
	  { "csi-registration-dir", 0, 1, "DIR",
	    "register it with kubelet through DIR/csi.bpfman.io-reg.sock" },
	  { "csi-registration-endpoint", 0, 1, "PATH",
	    "the CSI socket as kubelet sees it (default: --csi-socket)" });

static const struct cli_command load_subs[] = {
	{ .name = "file",
	  .summary = "load programs from a BPF object file",
	  .usage = "--programs TYPE:FUNC[:ATTACH_FN]... -p PATH [-g NAME=HEX]... [-a APP] "
		   "[-m K=V[,K=V]] [--map-owner-id ID] [-o json]",
	  .example = "bpfman load file --programs xdp:pass -p pass.bpf.o -a myapp",
	  .description = "fentry, fexit and lsm programs need :ATTACH_FN. Prints the `get program` "
			 "view of each program loaded.",
	  .opts = &load_file_options,
	  .json = true },
	{ .name = "image",
	  .summary = "load programs from a bytecode image",
	  .usage = "--programs TYPE:FUNC[:ATTACH_FN]... -i URL [-r BASE64] "
		   "[-p Always|IfNotPresent|Never] [-g NAME=HEX]... [-a APP] [-m K=V] "
		   "[--map-owner-id ID] [-o json]",
	  .example = "bpfman load image --programs xdp:pass -i quay.io/bpfman-bytecode/xdp_pass:latest",
	  .opts = &load_image_options,
	  .json = true },
	{}
};

static const struct cli_command list_subs[] = {
	{ .name = "programs",
	  .summary = "list the loaded programs",
	  .usage = "[-p KERNEL_TYPE] [--application NAME] [-m K=V[,K=V]] [-a|--all] [-o json]",
	  .example = "bpfman list programs --application myapp -o json",
	  .opts = &list_programs_options,
	  .json = true },
	{ .name = "links",
	  .summary = "list the links (attachments)",
	  .usage = "[-p KERNEL_TYPE] [--application NAME] [-m K=V[,K=V]] [-o json]",
	  .example = "bpfman list links -p xdp",
	  .opts = &list_links_options,
	  .json = true },
	{}
};

static const struct cli_command get_subs[] = {
	{ .name = "program",
	  .summary = "show one program, bpfman's and the kernel's view",
	  .usage = "PROGRAM_ID [-o json]",
	  .example = "bpfman get program 63661",
	  .opts = &get_options,
	  .json = true },
	{ .name = "link",
	  .summary = "show one link",
	  .usage = "LINK_ID [-o json]",
	  .example = "bpfman get link 18827142 -o json",
	  .opts = &get_options,
	  .json = true },
	{}
};

static const struct cli_command dispatcher_subs[] = {
	{ .name = "show",
	  .summary = "the XDP (or TC) chain of an interface",
	  .usage = "IFACE [-d ingress|egress] [-n NETNS] [-o json]",
	  .example = "bpfman dispatcher show eth0 -d ingress",
	  .opts = &dispatcher_show_options,
	  .json = true },
	{}
};

static const struct cli_command system_subs[] = {
	{ .name = "service",
	  .summary = "run the gRPC server (bpfman-rpc)",
	  .usage = "[--timeout SECONDS] [--socket-path PATH] [--csi-support] [--csi-socket PATH] "
		   "[--csi-registration-dir DIR] [--csi-registration-endpoint PATH]",
	  .example = "bpfman system service --timeout 60",
	  .description = "Runs bpfman-rpc with these options; see bpfman-rpc(8).",
	  .opts = &system_service_options },
	{}
};

static const struct cli_command image_subs[] = {
	{ .name = "pull",
	  .summary = "pull a bytecode image into the cache",
	  .usage = "-i URL [-r BASE64] [-p Always|IfNotPresent|Never] [-o json]",
	  .example = "bpfman image pull -i quay.io/bpfman-bytecode/xdp_pass:latest",
	  .opts = &image_pull_options,
	  .run = cmd_image_pull,
	  .json = true },
	{ .name = "list",
	  .summary = "list the cached images",
	  .usage = "[-o json]",
	  .example = "bpfman image list -o json",
	  .opts = &image_list_options,
	  .run = cmd_image_list,
	  .json = true },
	{ .name = "rm",
	  .summary = "remove an image from the cache",
	  .usage = "REF|DIGEST",
	  .example = "bpfman image rm quay.io/bpfman-bytecode/xdp_pass:latest",
	  .run = cmd_image_rm },
	{ .name = "build",
	  .summary = "build a bytecode image without a container engine",
	  .usage = "-t REF (-b FILE | -c DIR | --bc-ARCH-EL|EB FILE...) [-o OCI_LAYOUT_DIR] "
		   "[--push] [--chunked [--chunk-size BYTES]] [--registry-auth BASE64]",
	  .example = "bpfman image build -b pass.bpf.o -t localhost:5000/ebpf/pass:v1 --push",
	  .description = "Writes the image to a new OCI image layout directory with -o, to the "
			 "registry with --push (the default without -o). Several objects make a "
			 "multi-platform image. Credentials for the push: --registry-auth, else "
			 "the [registries] auth_file entry of the registry.",
	  .opts = &image_build_options,
	  .run = cmd_image_build },
	{ .name = "generate-build-args",
	  .summary = "print the build args (labels) an image of an object gets",
	  .usage = "(-b FILE | -c DIR | --bc-ARCH-EL|EB FILE...) [-o json]",
	  .example = "bpfman image generate-build-args -b pass.bpf.o",
	  .description = "Prints BYTECODE_FILE= (or BC_ARCH_EL|EB=), PROGRAMS= and MAPS= as the "
			 "reference's Containerfile.bytecode takes them.",
	  .opts = &image_generate_build_args_options,
	  .run = cmd_image_generate_build_args,
	  .json = true },
	{ .name = "sign",
	  .summary = "sign an image (cosign format)",
	  .usage = "--key KEY [--password-env VAR] [-r BASE64] [-o json] REF",
	  .example = "COSIGN_PASSWORD=... bpfman image sign --key cosign.key --password-env COSIGN_PASSWORD localhost:5000/ebpf/pass:v1",
	  .opts = &image_sign_options,
	  .run = cmd_image_sign,
	  .json = true },
	{ .name = "verify",
	  .summary = "check an image's cosign signatures",
	  .usage = "[--key PUBLIC_KEY]... [-r BASE64] [-o json] REF",
	  .example = "bpfman image verify --key cosign.pub localhost:5000/ebpf/pass:v1",
	  .opts = &image_verify_options,
	  .run = cmd_image_verify,
	  .json = true },
	{}
};

const struct cli_command cli_commands[] = {
	{ .name = "load", .summary = "load BPF programs", .subs = load_subs, .run = cmd_load },
	{ .name = "unload",
	  .summary = "unload a program and its links",
	  .usage = "PROGRAM_ID",
	  .example = "bpfman unload 63661",
	  .run = cmd_unload },
	{ .name = "attach",
	  .summary = "attach a loaded program",
	  .usage = "PROGRAM_ID xdp -i IFACE [-p PRIO] [--proceed-on NAME...] [-n NETNS] [-m K=V] [-o json]\n"
		   "PROGRAM_ID tc -d ingress|egress -i IFACE [-p PRIO] [--proceed-on NAME...] [-n NETNS] [-m K=V]\n"
		   "PROGRAM_ID tcx -d ingress|egress -i IFACE [-p PRIO] [-n NETNS] [-m K=V]\n"
		   "PROGRAM_ID tracepoint -t CATEGORY/NAME [-m K=V]\n"
		   "PROGRAM_ID kprobe -f FN [-o OFFSET] [-m K=V]\n"
		   "PROGRAM_ID uprobe -t TARGET [-f FN] [-o OFFSET] [--pid PID] [-c CONTAINER_PID] [-m K=V]\n"
		   "PROGRAM_ID fentry|fexit|lsm [-m K=V]",
	  .example = "bpfman attach 63661 xdp -i eth0 -p 35 -o json",
	  .description = "Prints the new link's id. -o is the offset of kprobe and uprobe, as in "
			 "the reference; -o json and -o table choose the output format.",
	  .opts = &attach_options,
	  .run = cmd_attach,
	  .json = true },
	{ .name = "detach",
	  .summary = "remove a link",
	  .usage = "LINK_ID",
	  .example = "bpfman detach 18827142",
	  .run = cmd_detach },
	{ .name = "list",
	  .summary = "list programs or links (`bpfman list` alone: programs)",
	  .subs = list_subs,
	  .run = cmd_list,
	  .json = true },
	{ .name = "get",
	  .summary = "show a program or a link (`bpfman get ID`: a program)",
	  .subs = get_subs,
	  .run = cmd_get,
	  .json = true },
	{ .name = "dispatcher", .summary = "multi-program dispatchers", .subs = dispatcher_subs,
	  .run = cmd_dispatcher },
	{ .name = "system", .summary = "the gRPC server", .subs = system_subs, .run = cmd_system },
	{ .name = "image", .summary = "bytecode images", .subs = image_subs, .run = cmd_image },
	{ .name = "apply",
	  .summary = "apply declared applications (YAML)",
	  .usage = "-f FILE|DIR [-f ...] [--dry-run] [-o json]\n--boot [-d DIR]",
	  .example = "bpfman apply -f app.yaml --dry-run",
	  .opts = &apply_options,
	  .run = cmd_apply,
	  .json = true },
	{ .name = "delete",
	  .summary = "remove what the files declare",
	  .usage = "-f FILE|DIR [-f ...] [--dry-run] [-o json]",
	  .example = "bpfman delete -f app.yaml",
	  .opts = &delete_options,
	  .run = cmd_delete,
	  .json = true },
	{ .name = "status",
	  .summary = "each applied application: applied, partly or pending",
	  .usage = "[-o json]",
	  .example = "bpfman status -o json",
	  .opts = &status_options,
	  .run = cmd_status,
	  .json = true },
	{}
};

const struct cli_command *cli_command_find(const struct cli_command *list, const char *name)
{
	for (; list && list->name; list++)
		if (!strcmp(list->name, name))
			return list;
	return NULL;
}
