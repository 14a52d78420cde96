/**
 * The deployer of the controller's own host ({@link io.svcreg.deploy.local.LocalDeployer}, the
 * {@code local} node): packages are installed below an install root on the local file system,
 * scripts run as child processes in their own sessions, and processes are observed through {@code
 * /proc}. What it shares with the SSH deployer (outcomes, install layout, package extraction) is in
 * {@link io.svcreg.deploy}.
 */
package io.svcreg.deploy.local;
