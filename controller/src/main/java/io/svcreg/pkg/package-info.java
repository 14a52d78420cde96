/**
 * Package archives: building a reproducible {@code .tar.gz} from a package directory ({@link
 * io.svcreg.pkg.PackageBuilder}) and checking one before it is trusted ({@link
 * io.svcreg.pkg.PackageVerifier}): its manifest, its checksum list ({@code CHECKSUMS.sha256}), and
 * entries that would escape the directory they are extracted into. Independent of how a package is
 * installed, so the local and the SSH deployer share it.
 */
package io.svcreg.pkg;
