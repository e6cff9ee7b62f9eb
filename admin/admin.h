/*
 * admin.h - the subcommands of `chronicle`, the admin command.
 *
 * Each takes the arguments after the subcommand name (argv[0] is the
 * subcommand) and returns the process exit status: 0 success, 1 failure
 * (reported on stderr, once), 2 usage error.
 */
#ifndef CHRONICLE_ADMIN_H
#define CHRONICLE_ADMIN_H

#include <limits.h>
#include <stddef.h>

#define ADMIN_TAG "chronicle"

int cmd_install_hooks(int argc, char **argv);
int cmd_uninstall_hooks(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_vacuum(int argc, char **argv);
int cmd_open(int argc, char **argv);
int cmd_endpoint(int argc, char **argv);
int cmd_team(int argc, char **argv);

struct endpoint;

/* Loads the configuration and resolves the server's endpoint
 * (chronicle/endpoint.h), then applies server_flag (--server HOST:PORT, or
 * NULL) on top.  A token file that cannot be used is a warning on stderr.
 * 0, or the exit status after an error printed on stderr: 1 configuration,
 * 2 a bad flag. */
int admin_endpoint_load(struct endpoint *ep, const char *server_flag);

struct chronicle_config;
/* Prints the "shipping" lines of `chronicle status` (ship_file.h). */
void admin_show_shipping(const struct chronicle_config *cfg);

/* Path of chronicle-send beside the running chronicle binary (from
 * /proc/self/exe).  0, or -1 with errno set. */
int admin_default_send_path(char out[PATH_MAX]);

/* ~/.claude/settings.json.  0, or -1 when HOME is unset or not absolute. */
int admin_user_settings_path(char out[PATH_MAX]);

#endif
