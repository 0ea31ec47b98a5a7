/* registry-client: drives the registry client (src/lib/image/registry.h) from the command
 * line, for tests/integration/test-registry.sh.
 *
 *   registry-client [OPTIONS] get-manifest REF OUT      prints "DIGEST MEDIA_TYPE"
 *   registry-client [OPTIONS] get-blob REF DIGEST SIZE OUT   (SIZE 0: unknown)
 *   registry-client [OPTIONS] get-blob-mem REF DIGEST SIZE OUT
 *   registry-client [OPTIONS] exists REF DIGEST         prints 1 or 0
 *   registry-client [OPTIONS] put-blob REF FILE         prints the blob's digest
 *   registry-client [OPTIONS] put-manifest REF FILE MEDIA_TYPE  (REF names the tag)
 *   registry-client [OPTIONS] referrers REF DIGEST      prints the index
 *   registry-client auth-file FILE REGISTRY             prints the user, never the password
 *
 * OPTIONS: -u USER, -p PASSWORD (or the environment's REGISTRY_PASSWORD), -a AUTH_FILE,
 * --ca FILE, --insecure HOST[:PORT] (repeatable), --chunked, --chunk-size N,
 * --connect-timeout S, --stall-timeout S, --total-timeout S, --max-manifest N,
 * --max-blob N, --progress.
 *
 * On failure: "error: ERRNO_NAME: message" on stderr and exit 1 (2 for usage). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-ref.h"
#include "registry.h"

static const char *errno_name(int r)
{
	switch (-r) {
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EBADMSG: return "EBADMSG";
	case EFBIG: return "EFBIG";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ELOOP: return "ELOOP";
	case EINVAL: return "EINVAL";
	case EPROTO: return "EPROTO";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EIO: return "EIO";
	default: return "other";
	}
}

static int fail(int r, const struct img_err *e)
{
	fprintf(stderr, "error: %s: %s\n", errno_name(r), e->msg[0] ? e->msg : strerror(-r));
	return 1;
}

static void progress(const char *what, uint64_t done, uint64_t total, void *data)
{
	(void)data;
	fprintf(stderr, "progress: %s %llu/%llu\n", what, (unsigned long long)done,
		(unsigned long long)total);
}

static int file_digest(int fd, char out[72], uint64_t *size)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[65536], md[32];
	unsigned int n = 0;
	ssize_t got;

	*size = 0;
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((got = read(fd, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(ctx, buf, (size_t)got);
		*size += (uint64_t)got;
	}
	EVP_DigestFinal_ex(ctx, md, &n);
	EVP_MD_CTX_free(ctx);
	if (got < 0)
		return -errno;
	strcpy(out, "sha256:");
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
	return 0;
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		return -EIO;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: registry-client [OPTIONS] get-manifest|get-blob|get-blob-mem|"
			"exists|put-blob|put-manifest|referrers REF ... | auth-file FILE REGISTRY\n");
}

int main(int argc, char **argv)
{
	enum { O_CA = 256, O_INSECURE, O_CHUNKED, O_CHUNK_SIZE, O_CONNECT, O_STALL, O_TOTAL,
	       O_MAX_MANIFEST, O_MAX_BLOB, O_PROGRESS };
	static const struct option longopts[] = {
		{ "ca", required_argument, NULL, O_CA },
		{ "insecure", required_argument, NULL, O_INSECURE },
		{ "chunked", no_argument, NULL, O_CHUNKED },
		{ "chunk-size", required_argument, NULL, O_CHUNK_SIZE },
		{ "connect-timeout", required_argument, NULL, O_CONNECT },
		{ "stall-timeout", required_argument, NULL, O_STALL },
		{ "total-timeout", required_argument, NULL, O_TOTAL },
		{ "max-manifest", required_argument, NULL, O_MAX_MANIFEST },
		{ "max-blob", required_argument, NULL, O_MAX_BLOB },
		{ "progress", no_argument, NULL, O_PROGRESS },
		{ 0 },
	};
	struct registry_opts o = { 0 };
	struct img_err e = { 0 };
	struct image_ref ref = { 0 };
	struct registry *r = NULL;
	char *insecure[16] = { 0 }, *file_user = NULL, *file_pass = NULL;
	const char *auth_file = NULL, *cmd;
	size_t n_insecure = 0, chunk_size = 0;
	bool chunked = false;
	int c, rc, ret = 1;

	o.password = getenv("REGISTRY_PASSWORD");
	while ((c = getopt_long(argc, argv, "u:p:a:", longopts, NULL)) != -1) {
		switch (c) {
		case 'u': o.username = optarg; break;
		case 'p': o.password = optarg; break;
		case 'a': auth_file = optarg; break;
		case O_CA: o.ca_file = optarg; break;
		case O_INSECURE:
			if (n_insecure < 15)
				insecure[n_insecure++] = optarg;
			break;
		case O_CHUNKED: chunked = true; break;
		case O_CHUNK_SIZE: chunk_size = strtoul(optarg, NULL, 10); break;
		case O_CONNECT: o.connect_timeout_sec = strtol(optarg, NULL, 10); break;
		case O_STALL: o.stall_timeout_sec = strtol(optarg, NULL, 10); break;
		case O_TOTAL: o.total_timeout_sec = strtol(optarg, NULL, 10); break;
		case O_MAX_MANIFEST: o.max_manifest = strtoul(optarg, NULL, 10); break;
		case O_MAX_BLOB: o.max_blob = strtoull(optarg, NULL, 10); break;
		case O_PROGRESS: o.progress = progress; break;
		default: usage(); return 2;
		}
	}
	o.insecure = insecure;
	if (optind + 2 > argc) {
		usage();
		return 2;
	}
	cmd = argv[optind];
	if (!strcmp(cmd, "auth-file") && optind + 3 == argc) {
		rc = registry_auth_from_file(argv[optind + 1], argv[optind + 2], &file_user,
					     &file_pass, &e);
		if (rc < 0)
			return fail(rc, &e);
		printf("user=%s password_length=%zu\n", file_user, strlen(file_pass));
		registry_secret_free(file_user);
		registry_secret_free(file_pass);
		return 0;
	}
	rc = image_ref_parse(argv[optind + 1], &ref, &e);
	if (rc < 0)
		return fail(rc, &e);
	if (auth_file) {
		rc = registry_auth_from_file(auth_file, ref.registry, &file_user, &file_pass, &e);
		if (rc < 0) {
			ret = fail(rc, &e);
			goto out;
		}
		o.username = file_user;
		o.password = file_pass;
	}
	rc = registry_open(&o, &ref, &r, &e);
	if (rc < 0) {
		ret = fail(rc, &e);
		goto out;
	}

	if (!strcmp(cmd, "get-manifest") && optind + 3 == argc) {
		struct img_buf body = { 0 };
		char *mt = NULL, *digest = NULL;

		rc = registry_get_manifest(r, ref.digest ? ref.digest : ref.tag, &body, &mt, &digest,
					   &e);
		if (rc >= 0) {
			rc = write_file(argv[optind + 2], body.data, body.len);
			printf("%s %s\n", digest, mt ? mt : "-");
		}
		img_buf_clear(&body);
		free(mt);
		free(digest);
	} else if ((!strcmp(cmd, "get-blob") || !strcmp(cmd, "get-blob-mem")) &&
		   optind + 5 == argc) {
		uint64_t size = strtoull(argv[optind + 3], NULL, 10);

		if (!strcmp(cmd, "get-blob")) {
			int fd = open(argv[optind + 4], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

			if (fd < 0) {
				perror(argv[optind + 4]);
				goto out;
			}
			rc = registry_get_blob(r, argv[optind + 2], size, fd, &e);
			close(fd);
			if (rc < 0) /* as a caller must: nothing of a failed download stays */
				unlink(argv[optind + 4]);
		} else {
			struct img_buf b = { 0 };

			rc = registry_get_blob_mem(r, argv[optind + 2], size, &b, &e);
			if (rc >= 0)
				rc = write_file(argv[optind + 4], b.data, b.len);
			img_buf_clear(&b);
		}
	} else if (!strcmp(cmd, "exists") && optind + 3 == argc) {
		rc = registry_blob_exists(r, argv[optind + 2], &e);
		if (rc >= 0)
			printf("%d\n", rc);
	} else if (!strcmp(cmd, "put-blob") && optind + 3 == argc) {
		char digest[72];
		uint64_t size;
		int fd = open(argv[optind + 2], O_RDONLY | O_CLOEXEC);

		if (fd < 0 || file_digest(fd, digest, &size) < 0) {
			perror(argv[optind + 2]);
			goto out;
		}
		rc = registry_put_blob(r, digest, fd, size, chunked, chunk_size, &e);
		close(fd);
		if (rc >= 0)
			printf("%s\n", digest);
	} else if (!strcmp(cmd, "put-manifest") && optind + 4 == argc) {
		FILE *f = fopen(argv[optind + 2], "rb");
		static char buf[8 << 20];
		size_t len = f ? fread(buf, 1, sizeof(buf), f) : 0;

		if (!f) {
			perror(argv[optind + 2]);
			goto out;
		}
		fclose(f);
		rc = registry_put_manifest(r, ref.digest ? ref.digest : ref.tag, argv[optind + 3],
					   buf, len, &e);
	} else if (!strcmp(cmd, "referrers") && optind + 3 == argc) {
		struct img_buf b = { 0 };

		rc = registry_get_referrers(r, argv[optind + 2], &b, &e);
		if (rc >= 0)
			fwrite(b.data, 1, b.len, stdout);
		img_buf_clear(&b);
	} else {
		usage();
		ret = 2;
		goto out;
	}
	ret = rc < 0 ? fail(rc, &e) : 0;
out:
	registry_free(r);
	image_ref_clear(&ref);
	registry_secret_free(file_user);
	registry_secret_free(file_pass);
	return ret;
}
