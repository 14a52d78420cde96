/**
 * The deployer of nodes reached over SSH ({@link io.svcreg.deploy.ssh.SshDeployer}, one per node,
 * made by {@link io.svcreg.deploy.ssh.RemoteDeployers}): the same install layout and outcomes as
 * the local deployer, with each package checked once on the controller's host, uploaded over SFTP,
 * and installed and run by shell scripts on the node over one kept session; host keys are verified
 * against the node's known hosts file ({@link io.svcreg.deploy.ssh.HostKeyScan} adds one for {@code
 * svcreg trust}). What it shares with the local deployer is in {@link io.svcreg.deploy}.
 */
package io.svcreg.deploy.ssh;
