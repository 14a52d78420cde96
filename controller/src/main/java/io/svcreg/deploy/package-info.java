/**
 * Deployment of service packages to a node: install, start, stop, observe and health-check, behind
 * the per-node {@link io.svcreg.deploy.Deployer} interface. Services run as managed processes (what
 * follows), as systemd units on SSH nodes, or as Docker containers on any node with Docker ({@link
 * io.svcreg.deploy.Containers}, whose package needs no scripts). This package holds what the
 * reconcile loop uses and what both deployers share (the interface, its outcomes, the install
 * layout, package extraction); {@link io.svcreg.deploy.local.LocalDeployer} deploys on the
 * controller's own host, {@link io.svcreg.deploy.ssh.SshDeployer} on nodes reached over SSH.
 *
 * <h2>Packages</h2>
 *
 * A package is a directory or a {@code .tar.gz} / {@code .tgz} with {@code manifest.yaml}, {@code
 * scripts/start.sh} and {@code scripts/stop.sh} (both executable by their owner) at its root;
 * {@code scripts/health.sh}, {@code bin/} and {@code config/} are optional. It may hold regular
 * files, directories, symbolic links and hard links only. Refused, with nothing installed ({@code
 * UnsafePackage}): absolute names, names with {@code ..}, entries below a symbolic link, absolute
 * link targets, symbolic links that lead outside the package when followed (judged by resolving
 * them like the kernel, so chains count), hard links to anything but an earlier file of the
 * package, devices, fifos and sockets. The name {@code .svcreg-install} is reserved. What its
 * manifest lists in {@code requires.commands} and {@code requires.libraries} is checked on the node
 * before anything is installed there, the controller's own host included ({@link
 * io.svcreg.deploy.Requirements}): a missing one fails the install ({@code RequirementMissing}).
 *
 * <h2>Install directories</h2>
 *
 * Version {@code V} of service {@code S} is installed in {@code {installRoot}/{S'}-{V'}} where
 * {@code S'} is {@code S} with every character outside {@code [a-zA-Z0-9_-]} replaced by {@code _}
 * and {@code V'} is {@code V} with every character outside {@code [a-zA-Z0-9._-]} replaced by
 * {@code _} (a leading {@code .} too). Two versions that map to the same directory are a conflict
 * ({@code InstallConflict}), as is a directory svcreg did not create.
 *
 * <ul>
 *   <li>Atomic: the package is extracted into {@code .tmp.{S'}.*} in the install root, checked, and
 *       renamed into place; a replaced or removed version is renamed to {@code .old.{S'}.*} before
 *       it is deleted. A directory under its final name is always complete; a crash leaves only
 *       dot-directories, deleted by the next install or uninstall of the service, and by {@link
 *       io.svcreg.deploy.local.LocalDeployer#removeLeftovers} when the controller starts.
 *   <li>No orphans: nothing is deleted while a live process runs from it. Right before a deletion
 *       (pruning, removal, a replaced copy, a leftover) the deployer looks for the start recorded
 *       in the directory's {@code logs/service.pid} (pid and start ticks, written at each start),
 *       for processes whose working directory or executable is inside it, and on SSH nodes for
 *       active svcreg units whose {@code ExecStart} is inside it (on a node in the same script as
 *       the deletion). The recorded process of a version to prune or remove is stopped first
 *       ({@code stop.sh} with its own environment, SIGTERM, SIGKILL); anything else keeps the
 *       directory, reported as a {@link io.svcreg.deploy.DirectoryInUse} in the outcome and looked
 *       at again at the next install or removal. A copy replaced by a reinstall is moved aside and
 *       deleted once free.
 *   <li>Idempotent: the install directory's {@code .svcreg-install} records a SHA-256 over the
 *       installed tree (paths, kinds, permission bits, contents, link targets). Installing the same
 *       content again (from a directory or an archive alike) changes nothing; the same version with
 *       other content replaces the directory (stop the service first).
 *   <li>Modes: permission bits come from the archive headers or the directory's POSIX permissions;
 *       setuid, setgid and sticky bits are dropped; files belong to the controller's user.
 *   <li>Rollback: after an install, the new version and one previous version are kept: the most
 *       recently started other version (or, if none was ever started, the most recently installed
 *       one). Older versions are removed (unless in use, above). Rollback is: stop the current,
 *       start the previous.
 * </ul>
 *
 * <h2>Running</h2>
 *
 * Scripts run with the environment of {@link io.svcreg.deploy.ServiceEnvironment} (a clean one: the
 * controller's own variables are not passed on, except {@code PATH}, {@code JAVA_HOME} and a few
 * locale ones), in the install directory, with stdin from {@code /dev/null}, each through {@code
 * setsid}, so in its own session and process group.
 *
 * <ul>
 *   <li>Start: {@code start.sh} must stay in the foreground (typically {@code exec} the service);
 *       its output is appended to {@code {home}/logs/service.log}. It is started when it is still
 *       alive after the start grace period (default 1 s); exiting earlier, even with code 0, is a
 *       failure ({@code ExitedDuringStart}) that carries the tail of what it logged. The service is
 *       a {@link io.svcreg.deploy.ProcessRef}: pid (= process group = session) and start time; it
 *       keeps running when the controller exits or is killed. Before a start (and before a
 *       removal), processes of the service that nobody tracks are stopped (SIGTERM, then SIGKILL to
 *       their groups): a controller killed after running {@code start.sh} but before recording the
 *       pid leaves one. They are recognised by their environment: {@code SERVICE_NAME} and a {@code
 *       SERVICE_HOME} in this install root.
 *   <li>Stop: {@code stop.sh} with {@code SERVICE_PID}, until the process group is gone (default 10
 *       s; a {@code stop.sh} exiting non-zero ends this step at once, one still running at the
 *       deadline is killed with its children); then SIGTERM to the group (default 10 s); then
 *       SIGKILL (default 5 s). The outcome names the step that ended it.
 *   <li>Observe: a process is ours while its pid exists, is not a zombie, and has the recorded
 *       start time (within 1 s); so a reused pid is never mistaken for the service, and never
 *       signalled.
 *   <li>Health: the health script runs with a timeout; at the deadline it is killed with everything
 *       it started. Passing means exit code 0, and only while the service's process (when given) is
 *       still the same one after the script: a process that is gone fails the check with {@code
 *       ProcessExited}, whatever the script said. The result keeps the last 20 lines (at most 2 KB)
 *       of its output. {@link io.svcreg.deploy.HealthTracker} turns consecutive results into {@code
 *       passing} / {@code failing} / {@code unknown}.
 * </ul>
 */
package io.svcreg.deploy;
